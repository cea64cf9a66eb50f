"""Topics for the comments in the database: embeddings through the DuckDB cache, a BERTopic fit, and a
new versioned run (the previous runs stay; only the current flag moves). Comments loaded after a fit join
their nearest topic (`assign_new`), so the current run always covers every comment.

The CLI, the Temas page and the trend engine call `refit_topics` / `ensure_current`; `progress(message,
fraction)` lets each show its own progress bar.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from analysis.filters import Filters, where
from analysis.ops import metrics
from analysis.privacy import redact
from analysis.store import get_embeddings, put_embeddings, save_topic_run
from analysis.store.topics import add_topic_assignments, topic_centroids, unassigned_comments

Progress = Callable[[str, float], None]
MIN_DOCS = 50


def embed_with_cache(store, hashes: list[str], texts: list[str], encoder=None,
                     progress: Progress | None = None) -> np.ndarray:
    """Vectors for the texts (row-aligned), encoding only the hashes not cached for this model version."""
    from models.embeddings import default_encoder

    enc = encoder or default_encoder()
    version = enc.model_version
    found, mat = get_embeddings(store, hashes, version)
    known = dict(zip(found, range(len(found))))
    first = pd.Series(range(len(hashes)), index=hashes)
    first = first[~first.index.duplicated()]
    missing = [h for h in first.index if h not in known]   # one entry per distinct text
    if missing:
        metrics.PREDICTION_CACHE_HITS.labels(model=enc.name).inc(len(first) - len(missing))
        say = progress or (lambda m, f: None)
        todo = [texts[first[h]] for h in missing]
        t0 = time.perf_counter()
        vecs = enc.encode(todo, progress=lambda d, n: say(f"Vectorizando comentarios {d:,}/{n:,}", d / n))
        metrics.INFERENCE_SECONDS.labels(model=enc.name).observe(time.perf_counter() - t0)
        metrics.INFERENCE_TEXTS.labels(model=enc.name).inc(len(todo))
        put_embeddings(store, missing, vecs, version)
        found, mat = get_embeddings(store, hashes, version)
        known = dict(zip(found, range(len(found))))
    else:
        metrics.PREDICTION_CACHE_HITS.labels(model=enc.name).inc(len(first))
    return mat[[known[h] for h in hashes]]


def refit_topics(store, filters: Filters | None = None, params: dict | None = None,
                 progress: Progress | None = None, make_current: bool = True, encoder=None) -> dict:
    """Fit topics on the comments matching `filters` and store them as a new run. Returns its summary."""
    from models.topics import fit_topics

    say = progress or (lambda m, f: None)
    cond, args = where(filters)
    docs = store.query(f"SELECT feedback_id, text, text_hash FROM feedback WHERE {cond} ORDER BY feedback_id",
                       args, kind="topics")
    if len(docs) < MIN_DOCS:
        raise ValueError(f"Se necesitan al menos {MIN_DOCS} comentarios para encontrar temas "
                         f"(con estos filtros hay {len(docs)}).")
    texts, hashes = docs["text"].tolist(), docs["text_hash"].tolist()
    say("Vectorizando comentarios (caché por texto)", 0.0)
    X = embed_with_cache(store, hashes, texts, encoder,
                         progress=lambda m, f: say(m, 0.5 * f))
    t0 = time.perf_counter()
    result = fit_topics(texts, X, params, progress=lambda m, f: say(m, 0.5 + 0.45 * f))
    metrics.TOPIC_FIT_SECONDS.observe(time.perf_counter() - t0)
    info = result.info
    say("Guardando la ejecución", 0.97)
    from models.embeddings import default_encoder

    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    run = {"run_id": run_id, "created_at": datetime.now(UTC).replace(tzinfo=None),
               "embedding_model": (encoder or default_encoder()).model_version, "n_docs": len(docs),
               "n_topics": len(info), "outlier_share": result.outlier_share,
               "params": {**result.params, "outlier_share_clustered": result.outlier_share_clustered,
                       "fit_seconds": round(result.seconds, 2)},
               "filters": filters.as_dict() if filters else {}}
    assignments = pd.DataFrame({"feedback_id": docs["feedback_id"], "topic_id": result.topics.astype(int),
                                "prob": result.probs})
    topics = info[["topic_id", "label", "keywords", "size"]].assign(
        phrase=[redact(p) for p in info["phrase"]], centroid=[c.tolist() for c in info["centroid"]])
    save_topic_run(store, run, topics, assignments, make_current)
    metrics.TOPIC_OUTLIER_SHARE.set(result.outlier_share)
    say("Listo", 1.0)
    return {k: run[k] for k in ("run_id", "n_docs", "n_topics", "outlier_share")} | {
        "outlier_share_clustered": result.outlier_share_clustered, "fit_seconds": round(result.seconds, 2)}


def topic_summary(store, filters: Filters | None = None) -> pd.DataFrame:
    """Current run's topics with, within the filters: comments, share, sentiment mix and mean rating."""
    cond, args = where(filters, alias="e")
    return store.query(f"""
        SELECT t.topic_id, t.label, t.keywords, t.phrase, count(e.feedback_id) AS comentarios,
               count(e.feedback_id) / sum(count(e.feedback_id)) OVER () AS share,
               avg(CASE WHEN e.sentiment = 'negative' THEN 1.0 WHEN e.sentiment IS NOT NULL THEN 0.0 END)
                   AS negative_share,
               avg(CASE WHEN e.sentiment = 'positive' THEN 1.0 WHEN e.sentiment IS NOT NULL THEN 0.0 END)
                   AS positive_share,
               avg(e.rating) AS rating_mean
        FROM current_topics t LEFT JOIN feedback_enriched e ON e.topic_id = t.topic_id AND {cond}
        GROUP BY ALL ORDER BY comentarios DESC, t.topic_id""", args, kind="topics")


def representative_comments(store, topic_id: int, n: int = 5, filters: Filters | None = None) -> pd.DataFrame:
    """The comments closest to the topic's centre (highest similarity), within the filters."""
    cond, args = where(filters, alias="f")
    return store.query(f"""
        SELECT f.feedback_id, f.date, f.product, f.region, ft.prob AS similarity, f.text
        FROM current_topic_assignments ft JOIN feedback f USING (feedback_id)
        WHERE ft.topic_id = ? AND {cond}
        ORDER BY ft.prob DESC, f.feedback_id LIMIT {int(n)}""", [int(topic_id)] + args, kind="topics")


def current_run(store) -> dict | None:
    df = store.query("SELECT * FROM topic_runs WHERE is_current")
    return df.iloc[0].to_dict() if len(df) else None


def assign_new(store, encoder=None, progress: Progress | None = None) -> int:
    """Comments loaded after the current run was fitted join the topic whose centroid is nearest (cosine),
    with that similarity as their probability. Returns how many were assigned."""
    run = current_run(store)
    if run is None:
        return 0
    ids, C = topic_centroids(store, run["run_id"])
    todo = unassigned_comments(store, run["run_id"])
    if todo.empty or not len(ids):
        return 0
    X = embed_with_cache(store, todo["text_hash"].tolist(), todo["text"].tolist(), encoder, progress)
    sims = X @ C.T
    best = sims.argmax(1)
    return add_topic_assignments(store, run["run_id"], pd.DataFrame({
        "feedback_id": todo["feedback_id"], "topic_id": ids[best].astype(int),
        "prob": sims[np.arange(len(best)), best].astype(float)}))


def ensure_current(store, progress: Progress | None = None, min_docs: int = MIN_DOCS) -> dict:
    """Topics for every comment: a first fit when there is no run yet, otherwise new comments join their
    nearest topic. {"status": "fitted" | "current" | "too_few", ...} — never raises for lack of topics."""
    if current_run(store) is None:
        n = store.feedback_count()
        if n < min_docs:
            return {"status": "too_few", "comments": n, "needed": min_docs}
        return {"status": "fitted", **refit_topics(store, progress=progress)}
    return {"status": "current", "assigned": assign_new(store, progress=progress)}


def topics_json(store, n_examples: int = 3) -> dict:
    """What `sabor topics --format json` prints: the current run and, per topic, id, label, keywords,
    phrase, size, share of the comments and the most representative comments (PII redacted)."""
    run = current_run(store)
    if run is None:
        return {"run": None, "topics": []}
    t = store.query("""SELECT t.topic_id, t.label, t.keywords, t.phrase, count(a.feedback_id) AS size
                       FROM current_topics t LEFT JOIN current_topic_assignments a USING (topic_id)
                       GROUP BY ALL ORDER BY size DESC, t.topic_id""", kind="topics")
    total = int(t["size"].sum()) or 1
    rows = []
    for r in t.to_dict("records"):
        rep = representative_comments(store, r["topic_id"], n_examples)
        rows.append({"id": int(r["topic_id"]), "label": r["label"], "keywords": r["keywords"],
                     "phrase": r["phrase"], "size": int(r["size"]), "share": round(r["size"] / total, 4),
                     "representative": [redact(x) for x in rep["text"]]})
    return {"run": {"run_id": run["run_id"], "created_at": str(run["created_at"]),
                    "n_docs": int(run["n_docs"]), "n_topics": int(run["n_topics"])}, "topics": rows}


def fit_current(store, filters: Filters | None = None, progress: Callable[[int, int], None] | None = None,
                **kw) -> dict:
    """`refit_topics` for callers whose progress bar takes (done, total), like the CLI's tqdm bar."""
    cb = (lambda msg, frac: progress(round(frac * 1000), 1000)) if progress else None
    return refit_topics(store, filters, progress=cb, **kw)
