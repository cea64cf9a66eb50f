"""Training recipes for the ordinal sentiment + stars head, shared by the leave-one-corpus-out evaluation
and the shipped head: fit on training rows, decide (epoch, star cuts) on development rows, predict.

A recipe's head is *ordinal* (`SentimentHead.ordinal`): a 5-grade star head read as an expected value,
cut into stars at points tuned on the development rows (`heads.tune_ordinal_cuts`), and the sentiment is
the band of those stars. With `finetune`, the encoder is LoRA-adapted jointly with the heads
(models/finetune.py); without, the heads are logistic fits on the base encoder's cached vectors.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models import sentiment as sent
from models.embed_cache import embed_cached
from models.heads import CUT_OBJECTIVE, fit_logreg, ordinal_objective, tune_ordinal_cuts
from models.loco import balanced_weights


@dataclass
class Recipe:
    name: str = "lora"
    finetune: dict | None = field(default_factory=lambda: {"epochs": 2, "max_tokens": 128})
    C: float = 0.1                     # logistic heads (frozen recipe; initialisation of the LoRA heads)
    cut_objective: tuple = CUT_OBJECTIVE

    def describe(self) -> dict:
        return asdict(self)


FROZEN = Recipe(name="frozen", finetune=None)
ORDINAL_DESCRIPTION = ("ordinal: a 5-grade star head read as an expected value, cut into stars at points "
                       "tuned on development rows (macro-F1 + ½ exact + ½ within one); sentiment = band of "
                       "the stars (1–2 negative, 3 neutral, 4–5 positive), its probabilities the star "
                       "probabilities summed by band")


def _weights(df: pd.DataFrame) -> np.ndarray:
    """Development rows weigh every (corpus, star) the same: the decision serves every domain alike."""
    w = np.zeros(len(df))
    for _, idx in df.groupby("corpus").indices.items():
        w[idx] = balanced_weights(df.iloc[idx])
    return w


def _decide(head: sent.SentimentHead, Xd: np.ndarray, dev: pd.DataFrame, recipe: Recipe) -> dict:
    """Star cuts on the development rows (ordinal decision); returns the dev figures."""
    has = dev["stars"].notna().to_numpy() | dev["cls"].notna().to_numpy()
    Xd, dev = Xd[has], dev[has]
    w = _weights(dev)
    ev = head.expected_stars(Xd)
    stars, cls = dev["stars"].to_numpy(dtype=float), dev["cls"].to_numpy()
    head.star_cuts = tune_ordinal_cuts(ev, stars, cls, w, recipe.cut_objective)
    return {"star_cuts": [round(float(c), 3) for c in head.star_cuts],
            "dev_objective": round(ordinal_objective(ev, stars, cls, w, head.star_cuts, recipe.cut_objective),
                                   4), "dev_rows": int(len(dev))}


def fit(recipe: Recipe, train: pd.DataFrame, dev: pd.DataFrame, version: str,
        adapter_dir: Path | None = None, log=print) -> tuple[sent.SentimentHead, dict]:
    """A head (with its adapter when fine-tuned) fitted on `train`, its decisions taken on `dev`."""
    t0 = time.perf_counter()
    texts = train["text"].tolist()
    cls, stars = train["cls"].to_numpy(), train["stars"].to_numpy(dtype=float)
    X = embed_cached(texts)
    has = ~np.isnan(stars)
    info: dict = {"recipe": recipe.describe(), "train_rows": int(len(train)),
                  "train_rows_by_corpus": {k: int(v) for k, v in train["corpus"].value_counts().items()}}
    if recipe.finetune is None:
        from sklearn.preprocessing import StandardScaler

        sc = StandardScaler().fit(X)
        Z = sc.transform(X)
        c3 = fit_logreg(Z, cls, recipe.C, True, 13)
        order = [list(c3.classes_).index(c) for c in sent.CLASSES]
        c5 = fit_logreg(Z[has], stars[has].astype(int), recipe.C, True, 13)
        fold = lambda coef, icpt: (coef / sc.scale_, icpt - (coef * sc.mean_ / sc.scale_).sum(1))
        W3, b3 = fold(c3.coef_[order], c3.intercept_[order])
        W5, b5 = fold(c5.coef_, c5.intercept_)
        head = sent.SentimentHead(version=version, W=W3, b=b3, stars_W=W5, stars_b=b5, ordinal=True)
        Xd = embed_cached(dev["text"].tolist())
    else:
        from safetensors.torch import save_file

        from models.encoder import Encoder, model_cache_dir
        from models.finetune import FinetuneConfig, finetune

        cfg = FinetuneConfig(**recipe.finetune)
        dv = dev[dev["stars"].notna()]
        dw = _weights(dv)

        def dev_score(V, h3, h5):
            probe = sent.SentimentHead(version="dev", W=h3[0], b=h3[1], stars_W=h5[0], stars_b=h5[1],
                                       ordinal=True)
            ev = probe.expected_stars(V)
            s, c = dv["stars"].to_numpy(dtype=float), dv["cls"].to_numpy()
            return ordinal_objective(ev, s, c, dw, tune_ordinal_cuts(ev, s, c, dw, recipe.cut_objective),
                                     recipe.cut_objective)

        trainer = Encoder(dtype="float32")   # fp32 master weights; bf16 autocast inside where the CPU has it
        adapter, W3, b3, W5, b5, history = finetune(trainer, texts, cls, stars, dv["text"].tolist(),
                                                    dv["cls"].to_numpy(), X, cfg, log, dev_score=dev_score)
        del trainer
        adir = Path(adapter_dir or model_cache_dir() / "adapters" / version)
        adir.mkdir(parents=True, exist_ok=True)
        save_file(adapter, str(adir / sent.ADAPTER_FILE), metadata={"r": str(cfg.r), "alpha": str(cfg.alpha)})
        head = sent.SentimentHead(version=version, W=W3, b=b3, stars_W=W5, stars_b=b5, ordinal=True,
                                  adapter=adir / sent.ADAPTER_FILE)
        enc = Encoder(adapter=head.adapter)           # exactly the inference path (compute dtype)
        Xd = embed_cached(dev["text"].tolist(), encoder=enc)
        info.update({"history": history, "encoder": enc.version, "compute_dtype": enc.dtype,
                     "finetune": asdict(cfg)})
        del enc
    info["decisions"] = _decide(head, Xd, dev, recipe)
    info["seconds"] = round(time.perf_counter() - t0)
    return head, info


def vectors(head: sent.SentimentHead, texts: list[str]) -> np.ndarray:
    """The vectors `head` reads (its own adapted encoder's), cached by encoder version and text."""
    if head.adapter is None:
        return embed_cached(texts)
    from models.encoder import get_encoder

    return embed_cached(texts, encoder=get_encoder(head.adapter))


def loco_dir() -> Path:
    from models.encoder import model_cache_dir

    return model_cache_dir() / "loco"


def score_head(head: sent.SentimentHead, tests: dict[str, pd.DataFrame]) -> dict:
    from models.loco import score

    out = {}
    for kind, t in tests.items():
        pred = head.predict(vectors(head, t["text"].tolist()))
        out[kind] = score(t, pred.sentiment, pred.stars)
    return out


def run_loco(recipe: Recipe, corpora: dict[str, pd.DataFrame], run_id: str, train_per_star: int = 300,
             test_corpora=None, exclude=None, log=print, command: str | None = None) -> dict:
    """Train one head per left-out corpus (quarters 0–2 of the others), score it on the development test
    sets of the left-out corpus; heads are kept under `loco_dir()/run_id/<corpus>/` for the kept quarter."""
    import json

    from models import loco

    out_dir = loco_dir() / run_id
    out_dir.mkdir(parents=True, exist_ok=True)
    res_path = out_dir / "results.json"
    res = json.loads(res_path.read_text()) if res_path.is_file() else {
        "run_id": run_id, "recipe": recipe.describe(), "train_per_star": train_per_star, "folds": {}}
    if command:
        res["command"] = command
    kw = {"test_corpora": test_corpora} if test_corpora else {}
    for f in loco.folds(corpora, "dev", train_per_star=train_per_star, exclude=exclude, **kw):
        if f.test in res["folds"]:
            log(f"{f.test}: done before, skipped")
            continue
        log(f"fold {f.test}: {len(f.train)} training rows, {len(f.dev)} development rows")
        d = out_dir / f.test
        head, info = fit(recipe, f.train, f.dev, f"loco-{run_id}-{f.test}", adapter_dir=d, log=log)
        head.save(d, {"version": head.version, "fold": f.test, **info})
        res["folds"][f.test] = {"dev": score_head(head, f.tests), "info": info}
        log(f"fold {f.test}: {json.dumps(res['folds'][f.test]['dev'])}")
        res_path.write_text(json.dumps(res, indent=1, ensure_ascii=False))
    res["summary_dev"] = loco.summary({c: r["dev"] for c, r in res["folds"].items()})
    res_path.write_text(json.dumps(res, indent=1, ensure_ascii=False))
    return res


def score_kept(run_id: str, corpora: dict[str, pd.DataFrame], log=print) -> dict:
    """The kept-aside quarter of each left-out corpus, scored once with that fold's head."""
    import json

    from models import loco

    out_dir = loco_dir() / run_id
    res = json.loads((out_dir / "results.json").read_text())
    for c, r in res["folds"].items():
        head = sent.SentimentHead.load(out_dir / c)
        r["kept"] = score_head(head, loco.test_sets(corpora[c], "kept"))
        log(f"kept {c}: {json.dumps(r['kept'])}")
    res["summary_kept"] = loco.summary({c: r["kept"] for c, r in res["folds"].items()})
    (out_dir / "results.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    return res
