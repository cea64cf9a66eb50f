"""Leave-one-corpus-out (LOCO) evaluation: train without corpus X, measure on X, for every Spanish rated
corpus; the sampling, the quarter kept aside and the metrics.

- Every row of a corpus falls in one of four quarters by a hash of its normalised text (stable whatever
  the order or the sample). Quarter 3 is **kept aside**: no training, tuning or recipe choice ever reads
  it; it is scored once, with the final recipe (`part="kept"`). Quarters 0–2 (`part="dev"`) hold the
  training rows of the other folds and the development test sets recipes were chosen on.
- Test sets of corpus X (from the part's quarters of X): *balanced* = up to `per_star` rows of each star
  drawn at random, scored so that every star weighs the same (a star with fewer rows than `per_star` is
  up-weighted: the same expectation as equal counts, without throwing rows away); *natural* = up to
  `natural` rows drawn at random, unweighted. SemEval has classes but no stars: balanced by class.
- Training rows of fold X: the other corpora's quarters 0–2, with up to `train_per_star` rows per star
  (per class for SemEval) from each, minus every text whose normalised form occurs anywhere in X (the two
  Domicilios files share comments), minus `exclude` (reviews whose sentences are in the taste label set).
  A `dev_share` of them (stratified by corpus and star) is set aside for the fold's decisions (epoch,
  cuts): decisions never look at X.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.corpora import RATED_ES, norm_text
from models.heads import weighted_f1

KEPT = 3


def quarters(df: pd.DataFrame) -> np.ndarray:
    """Quarter 0–3 of each row: sha256 of corpus + normalised text, modulo 4."""
    norm = df["norm"] if "norm" in df else norm_text(df["text"])
    return np.array([int(hashlib.sha256(f"{c}\x1f{t}".encode()).hexdigest()[:8], 16) % 4
                     for c, t in zip(df["corpus"], norm)])


def part_rows(df: pd.DataFrame, part: str) -> pd.DataFrame:
    q = df["quarter"].to_numpy() if "quarter" in df else quarters(df)
    if part == "dev":
        return df[q != KEPT]
    if part == "kept":
        return df[q == KEPT]
    raise ValueError(part)


def _norm(df: pd.DataFrame) -> pd.Series:
    return df["norm"] if "norm" in df else norm_text(df["text"])


def _grade(df: pd.DataFrame) -> pd.Series:
    """What a balanced sample balances: stars where the corpus has them, else the class."""
    return df["stars"].astype(object).where(df["stars"].notna(), df["cls"])


def _order(df: pd.DataFrame, seed: int) -> np.ndarray:
    """A seeded random order that any subset keeps (hash of seed + text): a smaller draw is the start of a
    larger one, and removing rows does not reshuffle the others."""
    keys = [hashlib.sha256(f"{seed}\x1f{t}".encode()).hexdigest()[:12] for t in df["text"]]
    return np.argsort(np.array(keys), kind="stable")


def _per_grade(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """Up to n rows of each grade, in a seeded random order."""
    d = df.iloc[_order(df, seed)]
    return d.groupby(_grade(d), sort=False, group_keys=False).head(n)


def balanced_weights(df: pd.DataFrame) -> np.ndarray:
    """Weights making every grade (star, or class without stars) count the same; mean weight 1."""
    g = _grade(df)
    counts = g.map(g.value_counts())
    w = 1.0 / counts.to_numpy(dtype=float)
    return w * len(w) / w.sum()


def test_sets(df: pd.DataFrame, part: str = "dev", per_star: int = 300, natural: int = 1500,
              seed: int = 13) -> dict[str, pd.DataFrame]:
    pool = part_rows(df, part)
    bal = _per_grade(pool, per_star, seed).copy()
    bal["weight"] = balanced_weights(bal)
    nat = pool.iloc[_order(pool, seed)[:natural]].copy()
    nat["weight"] = 1.0
    return {"balanced": bal.reset_index(drop=True), "natural": nat.reset_index(drop=True)}


@dataclass
class Fold:
    test: str                                   # the corpus left out
    train: pd.DataFrame                         # rows the model may fit
    dev: pd.DataFrame                           # rows decisions (epoch, cuts) are picked on
    tests: dict[str, pd.DataFrame] = field(default_factory=dict)


def training_rows(corpora: dict[str, pd.DataFrame], leave_out: str | None, train_per_star: int,
                  seed: int = 13, exclude: set[tuple[str, int]] | None = None) -> pd.DataFrame:
    """Quarters 0–2 of every corpus but `leave_out`, up to `train_per_star` rows per star (class) each, with
    the left-out corpus's texts and `exclude` ((corpus, row) pairs) removed."""
    banned = set(_norm(corpora[leave_out])) if leave_out else set()
    parts = []
    for name, df in corpora.items():
        if name == leave_out:
            continue
        d = part_rows(df, "dev")
        if exclude:
            rows = {r for c, r in exclude if c == name}
            d = d[~d["row"].isin(rows)]
        if banned:
            d = d[np.fromiter((t not in banned for t in _norm(d)), dtype=bool, count=len(d))]
        parts.append(_per_grade(d, train_per_star, seed))
    return pd.concat(parts, ignore_index=True)


def split_dev(train: pd.DataFrame, dev_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified by corpus and grade: (fit rows, decision rows)."""
    rng = np.random.default_rng(seed + 2)
    key = train["corpus"].astype(str) + "|" + _grade(train).astype(str)
    is_dev = np.zeros(len(train), dtype=bool)
    for _, idx in train.groupby(key).indices.items():
        idx = rng.permutation(idx)
        is_dev[idx[:int(round(len(idx) * dev_share))]] = True
    return train[~is_dev].reset_index(drop=True), train[is_dev].reset_index(drop=True)


def folds(corpora: dict[str, pd.DataFrame], part: str = "dev", train_per_star: int = 600,
          dev_share: float = 0.15, per_star: int = 300, natural: int = 1500, seed: int = 13,
          exclude: set[tuple[str, int]] | None = None, test_corpora=RATED_ES) -> list[Fold]:
    corpora = {k: v if "quarter" in v else v.assign(quarter=quarters(v)) for k, v in corpora.items()}
    out = []
    for x in test_corpora:
        train, dev = split_dev(training_rows(corpora, x, train_per_star, seed, exclude), dev_share, seed)
        out.append(Fold(x, train, dev, test_sets(corpora[x], part, per_star, natural, seed)))
    return out


# ---------------------------------------------------------------------------------------------------
# Metrics (weighted, so a balanced set counts every star the same)
# ---------------------------------------------------------------------------------------------------
def score(df: pd.DataFrame, cls_pred, stars_pred=None) -> dict:
    """macro-F1 (3 classes), accuracy, stars exact and ±1 of predictions on a test set (its `weight`s)."""
    w = df["weight"].to_numpy(dtype=float) if "weight" in df else np.ones(len(df))
    y = df["cls"].to_numpy()
    out = {"n": int(len(df)), "macro_f1": round(weighted_f1(y, cls_pred, w), 4),
           "accuracy": round(float(np.average(np.asarray(cls_pred) == y, weights=w)), 4)}
    s = df["stars"].to_numpy(dtype=float)
    has = ~np.isnan(s)
    if stars_pred is not None and has.any():
        d = np.abs(np.asarray(stars_pred, dtype=float)[has] - s[has])
        out["stars_exact"] = round(float(np.average(d == 0, weights=w[has])), 4)
        out["stars_within1"] = round(float(np.average(d <= 1, weights=w[has])), 4)
    return out


METRICS = ("macro_f1", "stars_exact", "stars_within1")


def summary(rows: dict[str, dict[str, dict]], corpora=RATED_ES) -> dict:
    """{"balanced"|"natural": {"mean": {...}, "worst": {...}}} over the folds in `corpora`."""
    out = {}
    for kind in ("balanced", "natural"):
        out[kind] = {"mean": {}, "worst": {}, "worst_corpus": {}}
        for m in METRICS:
            vals = {c: rows[c][kind][m] for c in corpora if c in rows and m in rows[c][kind]}
            if vals:
                out[kind]["mean"][m] = round(float(np.mean(list(vals.values()))), 4)
                worst = min(vals, key=vals.get)
                out[kind]["worst"][m] = vals[worst]
                out[kind]["worst_corpus"][m] = worst
    return out
