"""The training corpora: every scale mapped onto 1–5 stars and 3 classes as the model card says."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import corpora
from tests.conftest import need_shared

TRAIN = corpora.TRAIN_DIR


@pytest.fixture(autouse=True, scope="module")
def _corpora_beside_the_repo():
    """Every test here reads ../shared (training corpora and real reviews): skipped in a plain clone,
    a failure in CI."""
    need_shared(TRAIN)
    need_shared(corpora.REAL_DIR)


@pytest.fixture(scope="module")
def guiaoleo():
    return corpora.load_corpus("guiaoleo")


def test_guiaoleo_overall_is_the_mean_of_the_three_scores_mapped_linearly(guiaoleo):
    raw = pd.read_csv(TRAIN / "guiaoleo_buenosaires_restaurants_es.csv", keep_default_na=False,
                      dtype={"text": str})
    got = guiaoleo.set_index("row")
    expect = {(1, 1, 1): 1, (1, 2, 1): 1, (1, 2, 2): 2, (2, 2, 2): 2, (2, 3, 2): 3, (3, 2, 3): 3,
              (3, 3, 3): 4, (4, 3, 3): 4, (4, 4, 3): 5, (4, 4, 4): 5}
    seen = set()
    for row, r in raw.iterrows():
        key = (r["comida"], r["servicio"], r["ambiente"])
        if key in expect and row in got.index and key not in seen:
            assert got.loc[row, "stars"] == expect[key], key
            seen.add(key)
    assert seen == set(expect)
    assert set(guiaoleo["stars"]) == {1, 2, 3, 4, 5}
    assert (guiaoleo["cls"] == np.where(guiaoleo["stars"] <= 2, "negative",
                                        np.where(guiaoleo["stars"] == 3, "neutral", "positive"))).all()
    assert guiaoleo["comida"].between(1, 4).all()          # the food score stays available


def test_domicilios_keep_whole_stars_only():
    d = corpora.load_corpus("domicilios")
    raw = pd.read_csv(TRAIN / "domicilios_bogota_delivery_es.csv", keep_default_na=False,
                      dtype={"Comments": str})
    assert set(d["stars"]) == {1, 2, 3, 4, 5}
    r = raw.iloc[d["row"].to_numpy()]
    assert (pd.to_numeric(r["Rankings"]).to_numpy() == d["stars"].to_numpy() * 10).all()
    u = corpora.load_corpus("domicilios_users")
    raw = pd.read_csv(TRAIN / "domicilios_bogota_user_comments_es.csv", keep_default_na=False,
                      dtype={"text": str})
    rating = pd.to_numeric(raw.iloc[u["row"].to_numpy()]["Rating"]).to_numpy()
    assert (rating == u["stars"].to_numpy() * 20).all()
    assert not raw["Rating"].isin([30, 50, 70, 90]).iloc[u["row"].to_numpy()].any()


def test_semeval_sentences_take_the_one_polarity_of_their_targets():
    s = corpora.load_corpus("semeval")
    assert s["stars"].isna().all() and set(s["cls"]) == {"negative", "neutral", "positive"}
    sents = corpora.read_semeval(TRAIN / "semeval2016_es_restaurants" / "gold-es-train.txt")
    mixed = [t for t, p in sents if len(set(p)) > 1]
    assert mixed and not set(mixed) & set(s["text"])
    one = next(t for t, p in sents if p == ["NEG"])
    assert s.loc[s["text"] == one, "cls"].tolist() == ["negative"]


def test_texts_are_unique_within_a_corpus_and_cleaned():
    for name in ("tripadvisor", "restmex", "domicilios_users"):
        df = corpora.load_corpus(name)
        assert not df["norm"].duplicated().any()
        assert not df["text"].str.startswith('"').any() and (df["text"].str.len() > 0).all()
