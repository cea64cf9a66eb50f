"""Topic model on the real review datasets: readable, deterministic, few outliers; and its store side.

Embeddings of the sampled reviews are cached in pytest's cache dir (keyed by encoder version and the
texts' hash), so only the first run pays the encoder; the fits themselves always run.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from models import topics as tm
from models.embeddings import default_encoder

N_DOCS = 2500   # the lower bound for a real corpus is 2,000 comments

DATASETS = {
    # file, reader kwargs, text column, words a reader expects among the topic keywords
    "tripadvisor": ("tripadvisor_sevilla_japanese_es.csv", {"encoding": "utf-8-sig"}, "text",
                    {"sushi", "arroz", "salmón", "ramen", "postres", "servicio", "precio", "calidad",
                     "trato"}),
    "restmex": ("restmex2021_guanajuato_es.csv", {}, "Opinion",
                {"momias", "museo", "callejón", "beso", "teatro", "mercado", "comida", "pípila", "vista"}),
    "amazon": ("amazon_fine_food_en.csv", {}, "Text",
               {"coffee", "tea", "chocolate", "dog", "food", "flavor", "taste", "chips", "sugar"}),
}


def _sample(real_dir, name: str) -> list[str]:
    file, kw, col, _ = DATASETS[name]
    df = pd.read_csv(real_dir / file, **kw)
    texts = df[col].dropna().astype(str).str.strip('"').str.strip()
    texts = texts[texts.str.len() > 15].drop_duplicates()
    return texts.sample(N_DOCS, random_state=42).tolist()


@pytest.fixture(scope="session")
def corpora(real_dir, request):
    """{name: (texts, embeddings)} with embeddings cached across test sessions."""
    enc = default_encoder()
    cache = request.config.cache.mkdir("sabor_topic_embeddings")
    out = {}
    for name in DATASETS:
        texts = _sample(real_dir, name)
        key = hashlib.sha256((enc.model_version + "\x00".join(texts)).encode()).hexdigest()[:16]
        path = cache / f"{name}-{key}.npy"
        if path.exists():
            X = np.load(path)
        else:
            X = enc.encode(texts)
            np.save(path, X)
        out[name] = (texts, X)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DATASETS))
def test_real_datasets_give_readable_topics_with_few_outliers(corpora, name):
    texts, X = corpora[name]
    res = tm.fit_topics(texts, X)
    assert res.outlier_share < 0.15, f"{name}: {res.outlier_share:.1%} unassigned"
    assert 15 <= len(res.info) <= 60, (name, len(res.info))
    assert res.info["size"].max() <= 0.20 * len(texts), (name, res.info["size"].max())
    assert res.info["size"].sum() == int((res.topics >= 0).sum())
    keywords = set(", ".join(res.info["keywords"]).split(", "))
    expected = DATASETS[name][3]
    assert len(keywords & expected) >= 3, (name, res.info["label"].tolist())
    for label in res.info["label"]:
        words = label.split(" · ")
        assert 1 <= len(words) <= 3 and all(re.search(r"[^\W\d_]{2}", w) for w in words), label
        assert not set(words) & set(tm.stop_words()), label
        assert not set(words) <= tm.generic_words(), label          # "restaurante · lugar" is no label
    # every topic keeps real comments as representatives, the closest to its centre first, and a phrase
    # taken from the most representative one
    assert all(len(r) == min(5, s) for r, s in zip(res.info["representative"], res.info["size"]))
    for phrase, rep in zip(res.info["phrase"], res.info["representative"]):
        assert phrase and phrase.rstrip("…") in " ".join(rep[0].split()), (phrase, rep[0])


@pytest.mark.slow
def test_same_data_same_topics(corpora):
    texts, X = corpora["tripadvisor"]
    a = tm.fit_topics(texts, X)
    b = tm.fit_topics(texts, X)
    assert np.array_equal(a.topics, b.topics)
    assert a.info["phrase"].tolist() == b.info["phrase"].tolist()
    assert a.info["label"].tolist() == b.info["label"].tolist()


def test_vectorizer_keeps_accents_and_food_phrases():
    vec = tm.vectorizer(min_df=1)
    docs = ["La chicha morada estaba muy dulce y el ají amarillo picaba rico",
            "Pedí ají de gallina con lúcuma; the ice cream was great"]
    vocab = set(vec.fit(docs).get_feature_names_out())
    assert {"ají_amarillo", "chicha_morada", "ají_de_gallina", "lúcuma", "dulce", "ice_cream"} <= vocab
    assert not {"la", "el", "muy", "the", "was", "aj"} & vocab
    assert (tm.keywords_label(["chicha_morada", "chicha", "dulce", "azúcar"])
            == "chicha morada · dulce · azúcar")


def test_exact_knn_matches_brute_force():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    idx, dist = tm.exact_knn(X, 5, chunk=64)
    sims = X @ X.T
    np.fill_diagonal(sims, 9)
    ref = np.argsort(-sims, axis=1, kind="stable")[:, :5]
    assert (idx[:, 0] == np.arange(300)).all()
    assert np.array_equal(np.sort(idx, 1), np.sort(ref, 1))
    assert (np.diff(dist, axis=1) >= 0).all()


def test_no_topic_may_swallow_the_corpus():
    """Two broad themes of very unequal size: the big one is split until no topic holds over a fifth."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (900, 5)), rng.normal(8, 1, (100, 5))])
    km = tm.BalancedKMeans(n_clusters=2, max_share=0.2, seed=1).fit(X)
    sizes = np.bincount(km.labels_)
    assert sizes.max() <= 200 and sizes.sum() == 1000
    assert (km.predict(X[:5]) == km.labels_[:5]).all()


def test_topic_count_grows_with_the_corpus():
    assert [tm.n_topics_for(n) for n in (50, 500, 2_000, 5_000, 20_000, 50_000)] == [2, 12, 16, 25, 50, 50]


def test_too_few_comments_is_a_clear_error():
    with pytest.raises(ValueError, match="al menos 50"):
        tm.fit_topics(["hola"] * 10, np.zeros((10, 512), dtype=np.float32))


@pytest.mark.slow
def test_refit_on_store_caches_embeddings_and_keeps_previous_run(store, corpora):
    from analysis.filters import Filters
    from analysis.insight import topics
    from analysis.store import Store, topic_runs

    texts, _X = corpora["tripadvisor"]
    texts = texts[:600]
    fb = pd.DataFrame({"feedback_id": [f"r{i:04d}" for i in range(len(texts))], "text": texts,
                       "date": pd.Timestamp("2024-01-01"),
                       "region": np.where(np.arange(len(texts)) % 2, "Lima", "Cusco")})
    fb["text_hash"] = fb["text"].map(lambda t: hashlib.sha256(t.encode()).hexdigest())
    fb["dedup_key"] = fb["feedback_id"]
    with store.transaction() as cur:
        Store.append(cur, "feedback", fb)

    class Counting:
        """The real encoder, counting what it is asked to encode."""
        def __init__(self):
            self.inner, self.calls = default_encoder(), 0
            self.name, self.model_version = self.inner.name, self.inner.model_version

        def encode(self, texts, progress=None):
            self.calls += len(texts)
            return self.inner.encode(texts, progress)

    enc = Counting()
    steps = []
    first = topics.refit_topics(store, encoder=enc, progress=lambda m, f: steps.append(f))
    assert enc.calls == len(set(texts)) and steps[-1] == 1.0 and steps == sorted(steps)
    assert first["outlier_share"] < 0.15
    second = topics.refit_topics(store, Filters(regions=("Lima",)), encoder=enc)
    assert enc.calls == len(set(texts))            # everything came from the cache
    runs = topic_runs(store)
    assert len(runs) == 2 and runs.set_index("run_id").loc[second["run_id"], "is_current"]
    assert not runs.set_index("run_id").loc[first["run_id"], "is_current"]
    assert store.scalar("SELECT count(*) FROM feedback_topics WHERE run_id = ?",
                        [first["run_id"]]) == len(texts)
    summary = topics.topic_summary(store, Filters(regions=("Lima",)))
    assert summary["comentarios"].sum() == int((fb["region"] == "Lima").sum()) - int(
        store.scalar("SELECT count(*) FROM feedback_topics WHERE run_id = ? AND topic_id = -1",
                     [second["run_id"]]))
    top = int(summary.iloc[0]["topic_id"])
    rep = topics.representative_comments(store, top, 5)
    assert len(rep) == 5 and rep["similarity"].is_monotonic_decreasing
