"""Deleting loaded data with everything derived from it, in one transaction.

`delete_upload` removes one file's rows (a wrong export pushed by a pipeline): its comments or market
rows, the rows it had rejected, and every row computed from its comments. `DERIVED_BY_FEEDBACK` is the one
list of tables keyed by `feedback_id`; a new analysis stage that stores per-comment rows adds its table
here so deletion (and erasure of a person's comments) stays complete.
"""
from __future__ import annotations

from analysis.store.core import Store

# Tables whose rows belong to one comment (feedback_id).
DERIVED_BY_FEEDBACK = ("predictions", "taste_mentions", "food_mentions", "food_scans", "feedback_terms",
                       "term_scans", "feedback_topics")


# Derived tables with a row per comment, rebuilt from the data when it changes (analysis/store/rollups.py).
PER_COMMENT_COPIES = ("cached_feedback_enriched", "trend_units")


def delete_feedback_rows(cur, where_sql: str, params: list) -> int:
    """Inside the caller's transaction: delete the comments matching `where_sql` (over `feedback`) and
    every row derived from them; embeddings whose text no other comment has go too. Returns comments
    deleted."""
    cur.execute(f"CREATE TEMP TABLE _del AS SELECT feedback_id, text_hash FROM feedback WHERE {where_sql}",
                params)
    try:
        n = cur.execute("SELECT count(*) FROM _del").fetchall()[0][0]
        for table in DERIVED_BY_FEEDBACK:
            cur.execute(f"DELETE FROM {table} WHERE feedback_id IN (SELECT feedback_id FROM _del)")
        cur.execute("DELETE FROM feedback WHERE feedback_id IN (SELECT feedback_id FROM _del)")
        # per-comment derived copies (one holds the text): their rows go now, not at the next rebuild
        for table in PER_COMMENT_COPIES:
            cur.execute(f"DELETE FROM {table} WHERE feedback_id IN (SELECT feedback_id FROM _del)")
        cur.execute("""DELETE FROM embeddings WHERE text_hash IN (SELECT text_hash FROM _del)
                       AND text_hash NOT IN (SELECT text_hash FROM feedback)""")
    finally:
        cur.execute("DROP TABLE _del")
    return int(n)


def delete_upload(store: Store, upload_id: str) -> dict | None:
    """Remove one upload and its rows; None when there is no such upload. Returns what was removed:
    {"upload_id", "kind", "file_name", "sha256", "feedback_rows", "market_rows", "rejected_rows"}."""
    with store.transaction() as cur:
        row = cur.execute("SELECT kind, file_name, sha256 FROM uploads WHERE upload_id = ?",
                          [upload_id]).fetchall()
        if not row:
            return None
        kind, file_name, sha256 = row[0]
        fb = delete_feedback_rows(cur, "upload_id = ?", [upload_id])
        mk = cur.execute("SELECT count(*) FROM market_trends WHERE upload_id = ?",
                         [upload_id]).fetchall()[0][0]
        cur.execute("DELETE FROM market_trends WHERE upload_id = ?", [upload_id])
        rj = cur.execute("SELECT count(*) FROM rejected_rows WHERE upload_id = ?",
                         [upload_id]).fetchall()[0][0]
        cur.execute("DELETE FROM rejected_rows WHERE upload_id = ?", [upload_id])
        cur.execute("DELETE FROM uploads WHERE upload_id = ?", [upload_id])
    store.refresh_gauges()
    return {"upload_id": upload_id, "kind": kind, "file_name": file_name, "sha256": sha256,
            "feedback_rows": fb, "market_rows": int(mk), "rejected_rows": int(rj)}
