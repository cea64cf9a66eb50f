"""Leave-one-corpus-out protocol: quarters, folds that never see the left-out corpus, weighted metrics."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import loco
from models.heads import tune_ordinal_cuts, weighted_f1


def _corpus(name: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stars = rng.integers(1, 6, n).astype(float)
    texts = [f"{name} reseña número {i} {rng.integers(1e9)}" for i in range(n)]
    df = pd.DataFrame({"text": texts, "stars": stars, "corpus": name, "row": np.arange(n)})
    df["cls"] = np.where(stars <= 2, "negative", np.where(stars == 3, "neutral", "positive"))
    return df


@pytest.fixture
def toy():
    c = {n: _corpus(n, 800, i) for i, n in enumerate(("a", "b", "c"))}
    # a text shared by two corpora (as the two Domicilios files share comments)
    c["b"].loc[0, "text"] = c["a"].loc[0, "text"]
    return c


def test_quarters_are_stable_balanced_and_the_kept_one_is_never_in_dev(toy):
    df = toy["a"]
    q = loco.quarters(df)
    assert (q == loco.quarters(df.iloc[::-1]).tolist()[::-1]).all()      # order does not matter
    assert np.all(np.abs(np.bincount(q, minlength=4) / len(q) - 0.25) < 0.06)
    dev, kept = loco.part_rows(df, "dev"), loco.part_rows(df, "kept")
    assert not set(dev["text"]) & set(kept["text"]) and len(dev) + len(kept) == len(df)


def test_a_fold_trains_on_the_other_corpora_only_and_never_on_kept_quarters(toy):
    folds = loco.folds(toy, train_per_star=50, per_star=40, natural=100, test_corpora=("a", "b", "c"))
    for f in folds:
        seen = pd.concat([f.train, f.dev])
        assert f.test not in set(seen["corpus"])
        assert not set(seen["text"]) & set(toy[f.test]["text"])          # shared texts removed too
        kept = {c: set(loco.part_rows(df, "kept")["text"]) for c, df in toy.items()}
        assert not any(set(seen.loc[seen["corpus"] == c, "text"]) & kept[c] for c in kept)
        assert seen.groupby(["corpus", "stars"]).size().max() <= 50
        bal = f.tests["balanced"]
        assert set(bal["corpus"]) == {f.test} and bal.groupby("stars")["weight"].sum().std() < 1e-9


def test_weighted_scores_count_every_star_the_same():
    df = pd.DataFrame({"stars": [1.0] * 8 + [3.0] * 2 + [5.0] * 2})
    df["cls"] = np.where(df["stars"] <= 2, "negative", np.where(df["stars"] == 3, "neutral", "positive"))
    df["weight"] = loco.balanced_weights(df)
    assert df.groupby("stars")["weight"].sum().std() < 1e-9
    pred = np.array(["negative"] * 8 + ["negative"] * 2 + ["positive"] * 2)
    s = loco.score(df, pred, np.array([1] * 8 + [2] * 2 + [5] * 2))
    assert s["stars_exact"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["stars_within1"] == 1.0                                   # 2 for 3 is within one
    # negative: P 1/2 (weights), R 1; neutral 0; positive 1 → (2/3 + 0 + 1) / 3
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0 + 1) / 3, abs=1e-4)
    # unweighted, the 8 one-star rows dominate: negative F1 16/18
    assert weighted_f1(df["cls"], pred, np.ones(len(df))) == pytest.approx((16 / 18 + 0 + 1) / 3)


def test_summary_gives_mean_and_worst_corpus():
    rows = {c: {"balanced": {"macro_f1": f, "stars_within1": w}, "natural": {"macro_f1": f}}
            for c, f, w in (("guiaoleo", 0.7, 0.9), ("restmex", 0.6, 0.8), ("tripadvisor", 0.8, 0.95))}
    s = loco.summary(rows, corpora=("guiaoleo", "restmex", "tripadvisor"))
    assert s["balanced"]["mean"]["macro_f1"] == pytest.approx(0.7)
    assert s["balanced"]["worst"]["macro_f1"] == 0.6
    assert s["balanced"]["worst_corpus"]["macro_f1"] == "restmex"


def test_ordinal_cuts_improve_the_objective_on_shifted_scores():
    rng = np.random.default_rng(0)
    stars = rng.integers(1, 6, 2000).astype(float)
    ev = np.clip(1.8 + 0.6 * (stars - 1) + rng.normal(0, 0.3, len(stars)), 1, 5)     # squeezed to the middle
    cls = np.where(stars <= 2, "negative", np.where(stars == 3, "neutral", "positive"))
    cuts = tune_ordinal_cuts(ev, stars, cls)
    assert np.all(np.diff(cuts) > 0)
    from models.heads import ordinal_objective

    assert ordinal_objective(ev, stars, cls, np.ones(len(ev)), cuts) > \
        ordinal_objective(ev, stars, cls, np.ones(len(ev)), np.array([1.5, 2.5, 3.5, 4.5])) + 0.1
