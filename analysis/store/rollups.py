"""Derived tables the pages read, kept in step with the data by `Store.data_version`.

Each is rebuilt, in one transaction, the first time it is read after the data changed (a few seconds at 1M
comments, once per change), so a page or a question reads a plain table instead of joining a million
comments with their model readings (bench/queries.py). Derived data only: deleting one loses nothing.

- `overview_rollup` holds, per day and per combination of the comment dimensions, how many comments there
  are, how many are rated (and the sum of ratings), analysed, positive and negative: the overview's KPIs,
  monthly series and top-N breakdowns read a few hundred thousand rows at most. `date` keeps
  feedback_enriched's meaning (NULL for year-only dates), so `Filters.where()` applies unchanged.
- `cached_feedback_enriched` is `feedback_enriched` written down, one row per comment with the same columns:
  the view builds every comment's attribute and food lists at query time (~1 s at 1M comments for any
  question, even "how many comments in Lima"), the copy answers in milliseconds. The views
  `cached_mentions_enriched` and `cached_foods_enriched` read it (schema.py). Questions name the documented
  views; `analysis.ask.sqlguard.run_guarded` runs them against these copies.
- `trend_units` holds each comment and taste attribute or food of it once, with its polarities, and
  `trend_base` the comments each of those dimensions has seen, counted per day and comment dimensions: what
  the trend engine counts (analysis/insight/trends.py owns their content, `UNITS_SQL` and `BASE_SQL`).
"""
from __future__ import annotations

from analysis.store.core import Store

OVERVIEW = "overview_rollup"
ENRICHED = "cached_feedback_enriched"
UNITS = "trend_units"
BASE = "trend_base"
DERIVED = (OVERVIEW, ENRICHED, UNITS, BASE)

_BUILD = {   # each table's content, from the data (the table is emptied first)
    OVERVIEW: f"""
INSERT INTO {OVERVIEW}
SELECT f.date, CAST(date_trunc('month', f.date) AS DATE) AS month, f.product, f.brand, f.category, f.region,
       f.channel, f.segment, f.lang, count(*) AS n, count(f.rating) AS rated, sum(f.rating) AS rating_sum,
       count(p.sentiment) AS analysed, count(*) FILTER (WHERE p.sentiment = 'positive') AS pos,
       count(*) FILTER (WHERE p.sentiment = 'negative') AS neg
FROM dated_feedback f LEFT JOIN active_predictions p USING (feedback_id)
GROUP BY ALL""",
    # by name: the copy's columns are the view's (tests/analysis/insight/test_overview_scale.py checks it)
    ENRICHED: f"INSERT INTO {ENRICHED} BY NAME SELECT * FROM feedback_enriched",
}


def fresh_table(store: Store, table: str, build_sql: str | None = None) -> str:
    """`table`'s name, after rebuilding it (with `build_sql`, by default its own in `_BUILD`) when the data
    changed since it was built."""
    version = store.data_version()
    seen = store.__dict__.setdefault("_derived_versions", {})
    if seen.get(table) == version:
        return table
    key = f"{table}_version"
    with store.transaction() as cur:
        # Another thread (or process) may have rebuilt it meanwhile: look again under the write lock.
        row = cur.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchall()
        if not row or row[0][0] != version:
            cur.execute(f"DELETE FROM {table}")
            cur.execute(build_sql or _BUILD[table])
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, version])
    seen[table] = version
    return table


def overview_table(store: Store) -> str:
    """The overview rollup, rebuilt first when the data changed since it was built."""
    return fresh_table(store, OVERVIEW)


def enriched_table(store: Store) -> str:
    """The written-down copy of feedback_enriched, rebuilt first when the data changed since it was
    built."""
    return fresh_table(store, ENRICHED)
