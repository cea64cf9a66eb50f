"""The embedding cache and versioned topic runs (SQL only; callers pass arrays and frames)."""
from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.store.core import Store


def get_embeddings(store: Store, hashes: list[str], model_version: str):
    """Cached vectors for `hashes` under one model version: (found hashes, float32 matrix)."""

    if not hashes:
        return [], np.zeros((0, 0), dtype=np.float32)
    # its own cursor: the thread's cursor may hold a half-read result (DuckDB 2 then refuses register)
    cur = store.new_cursor()
    name = f"_h_{uuid.uuid4().hex[:8]}"
    try:
        cur.register(name, pa.table({"text_hash": pa.array(list(dict.fromkeys(hashes)), pa.string())}))
        tbl = cur.sql(f'SELECT e.text_hash, e.vector FROM embeddings e JOIN "{name}" h USING (text_hash) '
                      "WHERE e.model_version = ?", params=[model_version]).to_arrow_table()
        cur.unregister(name)
    finally:
        cur.close()
    if tbl.num_rows == 0:
        return [], np.zeros((0, 0), dtype=np.float32)
    vec = tbl.column("vector").combine_chunks()
    flat = vec.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    return tbl.column("text_hash").to_pylist(), flat.reshape(tbl.num_rows, -1)


def put_embeddings(store: Store, hashes: list[str], vectors, model_version: str) -> int:
    """Cache vectors (already-cached hashes are left as they are)."""

    if len(hashes) == 0:
        return 0
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    col = pa.ListArray.from_arrays(pa.array(np.arange(0, v.size + 1, v.shape[1], dtype=np.int32)),
                                   pa.array(v.ravel()))
    tbl = pa.table({"text_hash": pa.array(hashes, pa.string()),
                    "model_version": pa.array([model_version] * len(hashes), pa.string()),
                    "vector": col})
    name = f"_e_{uuid.uuid4().hex[:8]}"
    with store.transaction() as cur:
        cur.register(name, tbl)
        try:
            cur.execute(f'INSERT OR IGNORE INTO embeddings SELECT DISTINCT ON (text_hash) text_hash, '
                        f'model_version, vector FROM "{name}"')
        finally:
            cur.unregister(name)
    return len(hashes)


def save_topic_run(store: Store, run: dict, topics: pd.DataFrame, assignments: pd.DataFrame,
                   make_current: bool = True) -> str:
    """One fitted topic model as a new run; earlier runs stay (only the `is_current` flag moves)."""
    row = pd.DataFrame([{**run,
                         "params": json.dumps(run.get("params") or {}, ensure_ascii=False, default=str),
                         "filters": json.dumps(run.get("filters") or {}, ensure_ascii=False, default=str),
                         "is_current": False}])
    with store.transaction() as cur:
        Store.append(cur, "topic_runs", row)
        Store.append(cur, "topics", topics.assign(run_id=run["run_id"]))
        Store.append(cur, "feedback_topics", assignments.assign(run_id=run["run_id"]))
        if make_current:
            cur.execute("UPDATE topic_runs SET is_current = (run_id = ?)", [run["run_id"]])
    return run["run_id"]


def set_current_topic_run(store: Store, run_id: str) -> None:
    with store.transaction() as cur:
        if not cur.execute("SELECT count(*) FROM topic_runs WHERE run_id = ?", [run_id]).fetchall()[0][0]:
            raise ValueError(f"No existe la ejecución de temas {run_id!r}")
        cur.execute("UPDATE topic_runs SET is_current = (run_id = ?)", [run_id])


def topic_runs(store: Store) -> pd.DataFrame:
    return store.query("SELECT run_id, created_at, embedding_model, n_docs, n_topics, outlier_share, params, "
                       "filters, is_current FROM topic_runs ORDER BY created_at DESC")


def topic_centroids(store: Store, run_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(topic ids, unit centroid matrix) of one run's topics that have a centroid."""
    df = store.query("SELECT topic_id, centroid FROM topics WHERE run_id = ? AND centroid IS NOT NULL "
                     "ORDER BY topic_id", [run_id], kind="topics")
    if df.empty:
        return np.zeros(0, dtype=int), np.zeros((0, 0), dtype=np.float32)
    return df["topic_id"].to_numpy(int), np.stack([np.asarray(v, dtype=np.float32) for v in df["centroid"]])


def unassigned_comments(store: Store, run_id: str) -> pd.DataFrame:
    """Comments with no assignment in `run_id` (loaded after the fit)."""
    return store.query("""SELECT f.feedback_id, f.text, f.text_hash FROM feedback f
                          WHERE NOT EXISTS (SELECT 1 FROM feedback_topics t
                                            WHERE t.feedback_id = f.feedback_id AND t.run_id = ?)
                          ORDER BY f.feedback_id""", [run_id], kind="topics")


def add_topic_assignments(store: Store, run_id: str, assignments: pd.DataFrame) -> int:
    with store.transaction() as cur:
        Store.append(cur, "feedback_topics", assignments.assign(run_id=run_id))
    return len(assignments)
