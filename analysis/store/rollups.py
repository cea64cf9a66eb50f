"""Pre-aggregated tables the pages read, kept in step with the data by `Store.data_version`.

`overview_rollup` holds, per day and per combination of the comment dimensions, how many comments there are,
how many are rated (and the sum of ratings), analysed, positive and negative: the overview's KPIs, monthly
series and top-N breakdowns read a few hundred thousand rows at most instead of joining a million comments
with their predictions (bench/queries.py). It is rebuilt, in one transaction, the first time it is read after
the data changed; `date` keeps feedback_enriched's meaning (NULL for year-only dates), so `Filters.where()`
applies unchanged.
"""
from __future__ import annotations

from analysis.store.core import Store

OVERVIEW = "overview_rollup"
_VERSION_KEY = "overview_rollup_version"

_BUILD_OVERVIEW = f"""
INSERT INTO {OVERVIEW}
SELECT f.date, CAST(date_trunc('month', f.date) AS DATE) AS month, f.product, f.brand, f.category, f.region,
       f.channel, f.segment, f.lang, count(*) AS n, count(f.rating) AS rated, sum(f.rating) AS rating_sum,
       count(p.sentiment) AS analysed, count(*) FILTER (WHERE p.sentiment = 'positive') AS pos,
       count(*) FILTER (WHERE p.sentiment = 'negative') AS neg
FROM dated_feedback f LEFT JOIN active_predictions p USING (feedback_id)
GROUP BY ALL"""


def overview_table(store: Store) -> str:
    """The name of the overview rollup, rebuilt first when the data changed since it was built."""
    version = store.data_version()
    if getattr(store, "_overview_rollup_version", None) == version:
        return OVERVIEW
    with store.transaction() as cur:
        # Another thread (or process) may have rebuilt it meanwhile: look again under the write lock.
        row = cur.execute("SELECT value FROM settings WHERE key = ?", [_VERSION_KEY]).fetchall()
        if not row or row[0][0] != version:
            cur.execute(f"DELETE FROM {OVERVIEW}")
            cur.execute(_BUILD_OVERVIEW)
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [_VERSION_KEY, version])
    store._overview_rollup_version = version
    return OVERVIEW
