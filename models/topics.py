"""BERTopic on precomputed offline embeddings: seeded, multilingual stop words, accents kept, food phrases
kept whole, a topic count that grows with the corpus and no topic over a fifth of it. Knows nothing of the
database or the UI.

Determinism: UMAP is seeded AND fed exact cosine neighbours (`precomputed_knn`), because above ~4k
documents it otherwise switches to approximate neighbours that differ run to run; k-means is seeded and the
vectorizer deterministic. Same texts + same embeddings + same params → same assignments.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

STOP_DIR = Path(__file__).resolve().parent / "stopwords"
# Words of 2+ letters, accents kept ("ají", "lúcuma"); "_" joins a food phrase into one token.
TOKEN_PATTERN = r"(?u)\b[^\W\d][\w]+\b"

Progress = Callable[[str, float], None]   # (stage message, fraction 0..1)


def _read_list(name: str) -> list[str]:
    p = STOP_DIR / name
    return [w.strip() for w in p.read_text(encoding="utf-8").splitlines()
            if w.strip() and not w.startswith("#")]


@lru_cache(maxsize=1)
def stop_words() -> tuple[str, ...]:
    """Spanish + English stop words (the `stop-words` package) plus review filler shipped here."""
    from stop_words import get_stop_words

    words = set(get_stop_words("spanish")) | set(get_stop_words("english"))
    words |= set(_read_list("es_extra.txt")) | set(_read_list("en_extra.txt"))
    # "ain't" → also "ain": the vectorizer compares stop words with its own tokens
    words |= {t for w in words for t in re.findall(TOKEN_PATTERN, w.lower())}
    return tuple(sorted(w.lower() for w in words))


@lru_cache(maxsize=1)
def _phrase_regex() -> tuple[re.Pattern, dict[str, str]]:
    phrases = sorted(_read_list("food_phrases.txt"), key=len, reverse=True)
    joined = {p.lower(): p.lower().replace(" ", "_") for p in phrases}
    rx = re.compile(r"\b(" + "|".join(re.escape(p) for p in joined) + r")\b", re.IGNORECASE)
    return rx, joined


def preprocess(text: str) -> str:
    """Lower-case, drop HTML breaks and URLs, join known food phrases ("chicha morada" → chicha_morada)."""
    t = re.sub(r"<br\s*/?>|https?://\S+", " ", text or "", flags=re.IGNORECASE).lower()
    rx, joined = _phrase_regex()
    return rx.sub(lambda m: joined[m.group(0).lower()], t)


def vectorizer(min_df: int = 2):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(preprocessor=preprocess, token_pattern=TOKEN_PATTERN, strip_accents=None,
                           stop_words=list(stop_words()), ngram_range=(1, 2), min_df=min_df)


def exact_knn(X: np.ndarray, k: int, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k-nearest neighbours (self included, first) of unit vectors, in row chunks."""
    n = len(X)
    k = min(k, n)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    for s in range(0, n, chunk):
        sim = X[s:s + chunk] @ X.T
        rows = np.arange(sim.shape[0])
        sim[rows, rows + s] = 2.0                    # self first, whatever rounding says
        part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        psim = np.take_along_axis(sim, part, axis=1)
        order = np.lexsort((part, -psim), axis=1)     # ties broken by index: deterministic
        idx[s:s + chunk] = np.take_along_axis(part, order, axis=1)
        d = 1.0 - np.take_along_axis(psim, order, axis=1)
        d[:, 0] = 0.0
        dist[s:s + chunk] = np.clip(d, 0, None)
    return idx, dist


@dataclass
class TopicResult:
    topics: np.ndarray                 # topic id per document, -1 = unassigned
    probs: np.ndarray                  # similarity of the document to its topic (0 for unassigned)
    info: pd.DataFrame                 # topic_id, label, keywords, phrase, size, representative, centroid
    outlier_share_clustered: float     # unassigned after clustering, before reduction
    outlier_share: float               # unassigned at the end
    params: dict = field(default_factory=dict)
    seconds: float = 0.0
    model: object = None               # the fitted BERTopic (for transform/inspection)


MAX_TOPIC_SHARE = 0.20   # no topic may hold more of the comments than this: it is split


def n_topics_for(n_docs: int) -> int:
    """Topics grow with the square root of the corpus: 2,000 comments give 16, 20,000 give 50 (the cap);
    tiny corpora keep ~40 comments a topic."""
    lo = min(15, max(2, n_docs // 40))
    return int(np.clip(round(np.sqrt(n_docs / 8)), lo, 50))


def default_params(n_docs: int) -> dict:
    return {"n_neighbors": 15, "n_components": 5, "min_dist": 0.0, "n_topics": n_topics_for(n_docs),
            "max_topic_share": MAX_TOPIC_SHARE, "min_df": 2, "seed": 42, "top_n_words": 10}


class BalancedKMeans:
    """The clustering step BERTopic calls: k-means on the reduced vectors, then any cluster holding more than
    `max_share` of the documents is split again, so one broad theme ("comida · servicio") cannot swallow
    the corpus. Density clustering (HDBSCAN) found 2 topics on 4,700 mixed restaurant and hotel reviews;
    k-means with k from the corpus size gives tens of readable ones. Deterministic for a given seed."""

    def __init__(self, n_clusters: int, max_share: float = MAX_TOPIC_SHARE, seed: int = 42):
        self.n_clusters, self.max_share, self.seed = n_clusters, max_share, seed

    def _kmeans(self, X: np.ndarray, k: int):
        from sklearn.cluster import KMeans

        return KMeans(n_clusters=k, n_init=4, random_state=self.seed).fit(X)

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        k = min(self.n_clusters, len(X))
        labels = self._kmeans(X, k).labels_.copy()
        cap = self.max_share * len(X)
        for _ in range(10):                          # a handful of rounds at most
            sizes = np.bincount(labels)
            big = np.flatnonzero(sizes > cap)
            if not len(big):
                break
            for c in big:
                idx = np.flatnonzero(labels == c)
                parts = int(np.ceil(sizes[c] / (0.75 * cap)))     # aim well under the cap
                sub = self._kmeans(X[idx], parts).labels_
                labels[idx[sub > 0]] = labels.max() + sub[sub > 0]
        self.labels_ = labels
        self.cluster_centers_ = np.stack([X[labels == c].mean(0) for c in range(labels.max() + 1)])
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        d = ((X[:, None, :] - self.cluster_centers_[None]) ** 2).sum(-1)
        return d.argmin(1)


def _stem(word: str) -> str:
    import unicodedata

    w = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")
    return w[:5] if len(w) >= 5 else w.rstrip("s")


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Words every review of a place uses ("restaurante", "lugar", "comida"): keywords, never a label."""
    return frozenset(w.lower() for w in _read_list("generic_review_words.txt"))


def keywords_label(words: Sequence[str], n: int = 3) -> str:
    """Readable label from c-TF-IDF keywords: the top words, generic review words and unigram-duplicates of
    bigrams dropped."""
    picked: list[str] = []
    stems: set[str] = set()
    generic = generic_words()
    for w in words:
        w = w.replace("_", " ")
        parts = w.split()
        if all(x in generic for x in parts) or len(set(parts)) < len(parts):   # "servicio servicio"
            continue
        st = {_stem(x) for x in w.split()}
        # "japonés · japonesa", "dog · dogs", "sushi · sushi calidad": one of each is enough
        if st & stems or any(w in p.split() or p in w.split() for p in picked):
            continue
        picked.append(w)
        stems |= st
        if len(picked) == n:
            break
    return " · ".join(picked) if picked else "(sin palabras clave)"


def representative_phrase(text: str, keywords: Sequence[str], max_chars: int = 90) -> str:
    """The clause of a representative comment that carries most of the topic's keywords, cut at a word."""
    from models.taste import fold, split_clauses

    stems = {_stem(w) for k in keywords[:10] for w in k.replace("_", " ").split()}
    clauses = split_clauses(text) or [(0, len(text))]

    def score(span):
        words = fold(text[span[0]:span[1]]).split()
        return sum(_stem(w.strip(".,;:!?¡¿\"'()")) in stems for w in words)

    a, b = max(clauses, key=score)
    phrase = " ".join(text[a:b].split())
    if len(phrase) > max_chars:
        phrase = phrase[:max_chars].rsplit(" ", 1)[0] + "…"
    return phrase


def fit_topics(texts: Sequence[str], embeddings: np.ndarray, params: dict | None = None,
               progress: Progress | None = None, embedder=None) -> TopicResult:
    """Fit BERTopic on `texts` with their precomputed unit-length `embeddings`."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from umap import UMAP

    texts = list(texts)
    n = len(texts)
    if n < 50:
        raise ValueError(f"Se necesitan al menos 50 comentarios para encontrar temas (hay {n}).")
    if embeddings.shape[0] != n:
        raise ValueError("embeddings y textos no tienen el mismo número de filas")
    p = {**default_params(n), **(params or {})}
    say = progress or (lambda msg, frac: None)
    t0 = time.perf_counter()
    X = np.ascontiguousarray(embeddings, dtype=np.float32)

    say("Vecinos exactos (coseno)", 0.05)
    knn = exact_knn(X, p["n_neighbors"])
    umap_model = UMAP(n_neighbors=p["n_neighbors"], n_components=p["n_components"], min_dist=p["min_dist"],
                      metric="cosine", random_state=p["seed"], precomputed_knn=knn, low_memory=True)
    from models.embeddings import BertopicEmbedder

    model = BERTopic(embedding_model=embedder or BertopicEmbedder(), umap_model=umap_model,
                     hdbscan_model=BalancedKMeans(p["n_topics"], p["max_topic_share"], p["seed"]),
                     vectorizer_model=vectorizer(p["min_df"]),
                     ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
                     top_n_words=p["top_n_words"], calculate_probabilities=False, verbose=False)
    say("Reducción (UMAP) y agrupamiento (k-medias)", 0.15)
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        topics, _ = model.fit_transform(texts, embeddings=X)
    topics = np.asarray(topics)
    say("Etiquetas y comentarios representativos", 0.9)
    info, probs = _describe(model, texts, X, topics)
    share = float((topics == -1).mean())
    return TopicResult(topics=topics, probs=probs, info=info, outlier_share_clustered=share,
                       outlier_share=share, params=p, seconds=time.perf_counter() - t0, model=model)


def _describe(model, texts, X, topics) -> tuple[pd.DataFrame, np.ndarray]:
    ids = sorted(set(topics.tolist()) - {-1})
    centroids = np.stack([X[topics == t].mean(axis=0) for t in ids]) if ids else np.zeros((0, X.shape[1]))
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    probs = np.zeros(len(texts), dtype=float)
    rows = []
    for j, t in enumerate(ids):   # one iteration per topic (tens), not per document
        members = np.flatnonzero(topics == t)
        sims = X[members] @ centroids[j]
        probs[members] = sims
        rep = members[np.argsort(-sims, kind="stable")[:5]]
        words = [w for w, _ in (model.get_topic(t) or [])]
        rows.append({"topic_id": int(t), "label": keywords_label(words),
                     "keywords": ", ".join(w.replace("_", " ") for w in words),
                     "phrase": representative_phrase(texts[rep[0]], words),
                     "size": len(members), "representative": [texts[i] for i in rep],
                     "centroid": centroids[j].astype(np.float32)})
    info = pd.DataFrame(rows, columns=["topic_id", "label", "keywords", "phrase", "size", "representative",
                                       "centroid"])
    info = info.sort_values(["size", "topic_id"], ascending=[False, True]).reset_index(drop=True)
    return info, probs
