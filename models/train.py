"""Training runs (`sabor train`, `python -m models.train`): fit the sentiment + stars heads, evaluate them on
a held-out split and register them.

Two recipes: logistic heads on the base encoder's cached vectors (seconds), or, with `finetune`, a
LoRA-adapted encoder trained jointly with linear heads (minutes; the shipped head). A run is seeded, the
split stratified by class and source file, and the report is saved beside the head in
`<registry>/<version>/metadata.json`.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models import sentiment as sent
from models.embed_cache import embed_cached
from models.encoder import model_cache_dir
from models.heads import (
    fit_head,
    held_out_report,
    macro_f1,
    oof_probs,
    tune_class_bias,
    tune_cuts,
    tune_decisions,
)
from models.labels import SHARED_FILES, load_labelled, shared_frame
from models.model_card import evaluation_markdown

CLASSES = sent.CLASSES


def new_version(tag: str = "e5small-logreg") -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + tag


def _split(df: pd.DataFrame, test_size: float, seed: int):
    from sklearn.model_selection import train_test_split

    strat = df["cls"] + "|" + df.get("source", pd.Series("", index=df.index)).astype(str)
    return train_test_split(np.arange(len(df)), test_size=test_size, random_state=seed, stratify=strat)


def _dev_split(df: pd.DataFrame, tr: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training split cut into fine-tuning rows and the 15 % development rows decisions are tuned on
    (the same cut for training and `--retune`)."""
    a, b = _split(df.iloc[tr].reset_index(drop=True), 0.15, seed)
    return tr[a], tr[b]


LORA_RECIPE = ("LoRA-adapted encoder + jointly trained linear heads; sentiment probabilities mixed with the "
               "star head's summed grades, mix, class offsets and star cuts picked on a development part of "
               "the training split")


def _finetune_head(df: pd.DataFrame, X: np.ndarray, tr: np.ndarray, te: np.ndarray, version: str, seed: int,
                   cfg, log) -> tuple[sent.SentimentHead, np.ndarray, dict]:
    """LoRA-adapt the encoder on part of the training split, tune offsets/cuts on the rest (never on `te`).

    Returns the head (with its adapter), the adapted encoder's vectors of the test rows, and the run info."""
    from models.encoder import Encoder
    from models.finetune import FinetuneConfig, finetune

    cfg = cfg or FinetuneConfig(seed=seed)
    texts = df["text"].to_numpy(dtype=object)
    cls, stars = df["cls"].to_numpy(), df["stars"].to_numpy(dtype=float)
    ft, dev = _dev_split(df, tr, seed)
    t0 = time.perf_counter()
    trainer = Encoder(dtype="float32")     # fp32 master weights; bf16 autocast inside where the CPU has it
    adapter, W3, b3, W5, b5, history = finetune(trainer, list(texts[ft]), cls[ft], stars[ft],
                                                list(texts[dev]), cls[dev], X[ft], cfg, log)
    del trainer
    from safetensors.torch import save_file

    adir = model_cache_dir() / "adapters" / version
    adir.mkdir(parents=True, exist_ok=True)
    save_file(adapter, str(adir / sent.ADAPTER_FILE), metadata={"r": str(cfg.r), "alpha": str(cfg.alpha)})
    enc = Encoder(adapter=adir / sent.ADAPTER_FILE)      # exactly the inference path
    has_stars = ~np.isnan(stars[ft])
    head = sent.SentimentHead(version=version, W=W3, b=b3, adapter=adir / sent.ADAPTER_FILE,
                              stars_W=W5 if has_stars.any() else None,
                              stars_b=b5 if has_stars.any() else None)
    Xd = enc.encode(list(texts[dev])).vectors
    decisions = tune_decisions(head, Xd, cls[dev], stars[dev])
    Xt = enc.encode(list(texts[te])).vectors
    info = {"method": "LoRA", "r": cfg.r, "alpha": cfg.alpha, "dropout": cfg.dropout, "epochs": cfg.epochs,
            "lr": cfg.lr, "head_lr": cfg.head_lr, "max_tokens": cfg.max_tokens,
            "stars_weight": cfg.stars_weight, "finetune_rows": len(ft), "dev_rows": len(dev),
            "history": history, "seconds": round(time.perf_counter() - t0),
            "encoder": enc.version, "compute_dtype": enc.dtype, "decisions": decisions}
    return head, Xt, info


def retune_shared(version: str, real_dir: str | Path, english_limit: int | None = None) -> dict:
    """Re-pick a registered LoRA head's decisions (mix, offsets, cuts) on its own development rows and
    re-evaluate it on the held-out split, without retraining the adapter (`--retune VERSION`)."""
    from models.encoder import Encoder

    d = sent.registry_dir() / version
    head = sent.SentimentHead.load(d)
    meta, ftm = head.meta, (head.meta or {}).get("finetune")
    if not ftm or head.adapter is None:
        raise ValueError(f"{version} is not a fine-tuned head")
    m = meta["metrics"]
    df = shared_frame(real_dir, english_limit)
    if len(df) != m["rows"]:
        raise ValueError(f"{version} was trained on {m['rows']} rows, these data have {len(df)}: other data")
    tr, te = _split(df, m["test_size"], m["seed"])
    _, dev = _dev_split(df, tr, m["seed"])
    texts = df["text"].to_numpy(dtype=object)
    enc = Encoder(adapter=head.adapter)
    ftm["decisions"] = tune_decisions(head, enc.encode(list(texts[dev])).vectors, df["cls"].to_numpy()[dev],
                                      df["stars"].to_numpy(dtype=float)[dev])
    ftm["compute_dtype"] = enc.dtype
    X_base = embed_cached(list(texts[te]))
    meta["metrics"] = held_out_report(head, enc.encode(list(texts[te])).vectors, X_base, df, tr, te,
                                      m["seed"], m["test_size"])
    meta["head"] = LORA_RECIPE
    head.meta = meta
    head.save(d, meta)
    return meta


def train_frame(df: pd.DataFrame, *, test_size: float = 0.2, seed: int = 13, save: bool = True,
                registry_dir: Path | None = None, data_desc: dict | None = None, C: float = 0.1,
                progress=None, finetune: bool = False, ft_config=None, log=print) -> dict:
    """Train on a labelled frame (text, cls, stars[, lang, source]); evaluate on a held-out split.

    `finetune=True` also adapts the encoder (LoRA, models/finetune.py: minutes instead of seconds)."""
    counts = df["cls"].value_counts()
    if len(counts) < 3 or counts.min() < 5:
        raise ValueError("Se necesitan al menos 5 ejemplos de cada clase (negativo, neutro, positivo); "
                         f"hay {counts.to_dict()} / need at least 5 examples of each class")
    X = embed_cached(df["text"].tolist(), progress=progress)
    tr, te = _split(df, test_size, seed)
    version = new_version("e5small-lora" if finetune else "e5small-logreg")
    cls, stars = df["cls"].to_numpy(), df["stars"].to_numpy(dtype=float)
    ft_info = None
    if finetune:
        head, Xt, ft_info = _finetune_head(df, X, tr, te, version, seed, ft_config, log)
    else:
        head, Xt = fit_head(X[tr], cls[tr], stars[tr], version, seed, C), X[te]
    report = held_out_report(head, Xt, X[te], df, tr, te, seed, test_size)
    from models.encoder import encoder_version

    desc = LORA_RECIPE if finetune else ("multinomial logistic (balanced) + tuned class offsets; stars: "
                                         "5-class logistic expected value with tuned ordinal cuts")
    meta = {"version": version, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "encoder": ft_info["encoder"] if ft_info else encoder_version(), "head": desc, "C": C,
            "finetune": ft_info, "data": data_desc or {}, "metrics": report}
    if save:
        head.meta = meta
        d = (registry_dir or sent.registry_dir()) / version
        head.save(d, meta)
        report["saved_to"] = str(d)
    report["head"] = head
    return report


def train(input_path, text_column: str, label_column: str, *, test_size: float = 0.2, seed: int = 13,
          save: bool = True, registry_dir: Path | None = None, progress=None, finetune: bool = False,
          ft_config=None, log=print) -> dict:
    """`sabor train`: fit the heads on one labelled file, report on a held-out split, register the head.

    Labels: stars 1–5 (1–2 negative, 3 neutral, 4–5 positive) or negative/neutral/positive (es/en words).
    Returns the report dict (see `train_frame`); raises ValueError with a Spanish + English message on
    bad input (missing column, unmappable labels, too few examples of a class).
    """
    df = load_labelled(input_path, text_column, label_column)
    desc = {"files": [Path(input_path).name], "text_column": text_column, "label_column": label_column}
    rep = train_frame(df, test_size=test_size, seed=seed, save=save, registry_dir=registry_dir,
                      data_desc=desc, progress=progress, finetune=finetune, ft_config=ft_config, log=log)
    rep.pop("head", None)
    return rep


def train_shared(real_dir: str | Path, english_limit: int | None = None, seed: int = 13, save: bool = True,
                 C: float = 0.1, progress=None, finetune: bool = False, ft_config=None) -> dict:
    """Train the shipped head on all Spanish reviews + an English sample of the shared files."""
    df = shared_frame(real_dir, english_limit)
    n_en = int((df["lang"] == "en").sum())
    desc = {"files": [f for f, *_ in SHARED_FILES], "source": "../shared/data/real (public review datasets)",
            "rows_by_source": {k: int(v) for k, v in df["source"].value_counts().items()},
            "labels": "stars 1-2 negative, 3 neutral, 4-5 positive",
            "note": (f"All Spanish rows; English: first {n_en} of a seeded shuffle." if english_limit else
                     "All rows.") + " Text only (titles not used), HTML tags and wrapping quotes removed, "
                                    "exact duplicate texts dropped."}
    return train_frame(df, seed=seed, save=save, data_desc=desc, C=C, progress=progress, finetune=finetune,
                       ft_config=ft_config)


def compare_variants(df: pd.DataFrame, X: np.ndarray, seed: int = 13) -> list[dict]:
    """Out-of-fold comparison on Spanish training rows: what the shipped recipe is chosen from."""
    from sklearn.preprocessing import StandardScaler

    es = (df["lang"] == "es").to_numpy()
    y, s = df["cls"].to_numpy(), df["stars"].to_numpy(dtype=float)
    Z = StandardScaler().fit_transform(X)
    out = []
    for C in (0.1, 1.0):
        P = oof_probs(Z, y, C, True, seed)
        order = [list(np.unique(y)).index(c) for c in CLASSES]
        P = P[:, order]
        plain = np.array(CLASSES)[P.argmax(1)]
        out.append({"name": f"logistic balanced C={C}", "macro_f1": macro_f1(y[es], plain[es])})
        b = tune_class_bias(P, y)
        tuned = np.array(CLASSES)[np.argmax(np.log(P + 1e-12) + b, axis=1)]
        out.append({"name": f"logistic balanced C={C} + class offsets (tuned on these folds: optimistic)",
                    "macro_f1": macro_f1(y[es], tuned[es])})
    # stars: argmax vs expected value + tuned cuts
    has = ~np.isnan(s)
    P5 = oof_probs(Z[has], s[has].astype(int), 0.1, False, seed)
    st_true = s[has].astype(int)
    es_h = es[has]
    arg = P5.argmax(1) + 1
    ev = P5 @ np.arange(1, 6)
    cuts = tune_cuts(ev, st_true)
    ordinal = 1 + np.searchsorted(cuts, ev, side="right")
    for name, pr in (("stars: 5-class argmax", arg),
                     ("stars: expected value, rounded", np.clip(np.rint(ev), 1, 5)),
                     ("stars: expected value + tuned ordinal cuts", ordinal)):
        d = np.abs(pr[es_h] - st_true[es_h])
        out.append({"name": name, "macro_f1": None, "stars_exact": float(np.mean(d == 0)),
                    "stars_within1": float(np.mean(d <= 1))})
    return out


def same_split_versions(rep: dict, registry: Path | None = None) -> list[dict]:
    """Metadata of registered versions evaluated on the same rows and split as `rep`, oldest first."""
    registry = registry or sent.registry_dir()
    out = []
    for v in sent.registered_versions(registry):
        meta = json.loads((registry / v / "metadata.json").read_text())
        m = meta.get("metrics", {})
        if (m.get("rows"), m.get("seed"), m.get("test_size")) == (rep["rows"], rep["seed"], rep["test_size"]):
            out.append(meta)
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description="Train + evaluate the shipped head on the shared real reviews")
    ap.add_argument("--real-dir",
                    default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "real"))
    ap.add_argument("--english-limit", type=int, default=None)
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--variants", action="store_true", help="also compare head variants (slower)")
    ap.add_argument("--finetune", action="store_true", help="LoRA-adapt the encoder too (minutes)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--stars-weight", type=float, default=1.0,
                    help="weight of the star loss while fine-tuning")
    ap.add_argument("--retune", metavar="VERSION", help="re-pick a registered LoRA head's decision rules on "
                    "its development rows and re-evaluate it (no retraining)")
    ap.add_argument("--write-md", default=str(Path(__file__).resolve().parent / "EVALUATION.md"))
    args = ap.parse_args(argv)
    cfg = None
    if args.finetune:
        from models.finetune import FinetuneConfig

        cfg = FinetuneConfig(epochs=args.epochs, r=args.rank, alpha=2.0 * args.rank,
                             stars_weight=args.stars_weight)
    if args.retune:
        meta = retune_shared(args.retune, args.real_dir, args.english_limit)
        rep, head = dict(meta["metrics"]), sent.SentimentHead.load(sent.registry_dir() / args.retune)
        ft = meta["finetune"]
        args.finetune, args.epochs, args.stars_weight = True, ft["epochs"], ft.get("stars_weight", 1.0)
    else:
        rep = train_shared(args.real_dir, english_limit=args.english_limit, save=not args.no_save,
                           progress=lambda d, n: print(f"embedding {d}/{n}", flush=True),
                           finetune=args.finetune, ft_config=cfg)
        head = rep.pop("head")
    variants = []
    if args.variants:
        df = shared_frame(args.real_dir, args.english_limit)
        tr, _ = _split(df, 0.2, 13)                       # the very training split of the shipped head
        es = df.iloc[tr]
        es = es[es["lang"] == "es"].reset_index(drop=True)
        variants = compare_variants(es, embed_cached(es["text"].tolist()))
    rep["data"] = head.meta.get("data", {}) if head.meta else {}
    rep["finetune"] = head.meta.get("finetune") if head.meta else None
    cmd = ("python -m models.train"
           + (f" --english-limit {args.english_limit}" if args.english_limit else "")
           + (" --variants" if args.variants else "")
           + (f" --finetune --epochs {args.epochs}" if args.finetune else "")
           + (f" --stars-weight {args.stars_weight:g}" if args.finetune and args.stars_weight != 1.0 else ""))
    if not args.no_save:
        md, marker = Path(args.write_md), "<!-- measured elsewhere: kept on regeneration -->"
        tail = md.read_text().split(marker, 1)[1] if md.is_file() and marker in md.read_text() else "\n"
        card = evaluation_markdown(rep, variants, cmd, same_split_versions(rep))
        md.write_text(card + "\n" + marker + tail)
    print(json.dumps({k: v for k, v in rep.items() if k != "data"}, indent=2, default=str))


if __name__ == "__main__":
    main()
