"""Facts for the overview page: KPIs, monthly volume and rating, breakdowns, and the rows behind them.
Aggregation runs in DuckDB; each function returns a small DataFrame or dict. The counts read the overview
rollup (analysis/store/rollups.py, rebuilt when the data changes); the rows behind them are picked from
the comments first and enriched only for the page shown (the comments page), or read from the written-down
copy of feedback_enriched (the drill-down behind a number)."""
from __future__ import annotations

import pandas as pd

from analysis.filters import Filters, where
from analysis.store import Store, rollups
from analysis.store.schema import ENRICHED_FOR_IDS

DIMENSIONS = ("product", "region", "channel", "category", "segment", "lang")


FILTER_DIMENSIONS = ("product", "region", "channel")


def filter_options(store: Store) -> dict:
    """What the sidebar filters offer: distinct products, regions and channels, and the dated span
    (day- or month-precise dates only: a year-only date has no place on a calendar)."""
    opts = {col: dimension_values(store, col, order="name") for col in FILTER_DIMENSIONS}
    lo, hi = store.cursor().execute(
        "SELECT min(date), max(date) FROM feedback WHERE date_precision IN ('day', 'month')").fetchall()[0]
    opts["dates"] = (lo, hi)
    return opts


def dimension_values(store: Store, dim: str, order: str = "count") -> list[str]:
    """Distinct values of one dimension, most frequent first (`order="count"`) or alphabetical."""
    if dim not in DIMENSIONS:
        raise ValueError(f"dimensión desconocida: {dim}")
    by = "count(*) DESC, v" if order == "count" else "v"
    df = store.query(f"SELECT {dim} AS v FROM feedback WHERE {dim} IS NOT NULL GROUP BY 1 ORDER BY {by}")
    return df["v"].tolist()


def kpis(store: Store, f: Filters | None = None) -> dict:
    w, p = where(f)
    row = store.cursor().execute(f"""
        SELECT CAST(coalesce(sum(n), 0) AS BIGINT) AS comments, sum(rating_sum) / nullif(sum(rated), 0),
               CAST(coalesce(sum(rated), 0) AS BIGINT), CAST(coalesce(sum(analysed), 0) AS BIGINT),
               sum(pos) / nullif(sum(analysed), 0), sum(neg) / nullif(sum(analysed), 0),
               count(DISTINCT product), count(DISTINCT region), min(date), max(date)
        FROM {rollups.overview_table(store)} WHERE {w}""", p).fetchall()[0]
    keys = ["comments", "avg_rating", "rated", "analysed", "pos_share", "neg_share", "products", "regions",
            "date_min", "date_max"]
    return dict(zip(keys, row))


def monthly(store: Store, f: Filters | None = None) -> pd.DataFrame:
    """Comments, average rating and sentiment shares per month (months with no date are excluded)."""
    w, p = where(f)
    return store.query(f"""
        SELECT month, CAST(sum(n) AS BIGINT) AS comments, round(sum(rating_sum) / nullif(sum(rated), 0), 3)
                   AS avg_rating, CAST(sum(rated) AS BIGINT) AS rated,
               sum(neg) / nullif(sum(analysed), 0) AS neg_share,
               sum(pos) / nullif(sum(analysed), 0) AS pos_share
        FROM {rollups.overview_table(store)} WHERE month IS NOT NULL AND {w}
        GROUP BY month ORDER BY month""", p)


def by_dimension(store: Store, dim: str, f: Filters | None = None, top: int = 20) -> pd.DataFrame:
    if dim not in DIMENSIONS:
        raise ValueError(f"dimensión desconocida: {dim}")
    w, p = where(f)
    return store.query(f"""
        SELECT coalesce({dim}, '(sin dato)') AS {dim}, CAST(sum(n) AS BIGINT) AS comments,
               round(sum(rating_sum) / nullif(sum(rated), 0), 3) AS avg_rating,
               sum(neg) / nullif(sum(analysed), 0) AS neg_share
        FROM {rollups.overview_table(store)} WHERE {w}
        GROUP BY 1 ORDER BY comments DESC, 1 LIMIT {int(top)}""", p)


def verbatims(store: Store, f: Filters | None = None, month=None, limit: int = 200, **eq) -> pd.DataFrame:
    """The comments behind a number: same filters, optionally one month and dimension values."""
    w, p = where(f)
    extra = []
    if month is not None:
        extra.append("month = CAST(? AS DATE)")
        p.append(str(month)[:10])
    for col, val in eq.items():
        if col not in DIMENSIONS:
            raise ValueError(f"dimensión desconocida: {col}")
        if val is None or val == "(sin dato)":
            extra.append(f"{col} IS NULL")
        else:
            extra.append(f"{col} = ?")
            p.append(val)
    cond = " AND ".join([w] + extra)
    # feedback_enriched written down (rollups.py): one scan of one table, the model's reading included
    return store.query(f"""
        SELECT date, product, region, channel, rating, sentiment, attributes, text, feedback_id
        FROM {rollups.enriched_table(store)} WHERE {cond}
        ORDER BY date DESC NULLS LAST, feedback_id LIMIT {int(limit)}""", p)


# Columns of one comment as the API lists it (what the verbatim tables show, plus the model's reading).
COMMENT_COLUMNS = ("feedback_id", "source_id", "date", "text", "rating", "product", "brand", "category",
                   "region", "channel", "segment", "lang", "sentiment", "sentiment_score", "stars_pred",
                   "attributes", "negative_attributes", "positive_attributes", "foods", "food_families",
                   "topic_id", "topic_label", "upload_id")


def comments_page(store: Store, f: Filters | None = None, limit: int = 50, offset: int = 0
                  ) -> tuple[pd.DataFrame, int]:
    """One page of the comments under the sidebar filters, newest first, and how many there are in all."""
    w, p = where(f)
    # feedback_enriched has one row per comment: its count and page order are the comments' own.
    total = int(store.scalar(f"SELECT count(*) FROM dated_feedback WHERE {w}", p))
    page = f"""SELECT feedback_id FROM dated_feedback WHERE {w}
               ORDER BY date DESC NULLS LAST, feedback_id LIMIT {int(limit)} OFFSET {int(offset)}"""
    rows = store.query(f"""
        SELECT {', '.join(COMMENT_COLUMNS)} FROM ({ENRICHED_FOR_IDS.format(ids=page)})
        ORDER BY date DESC NULLS LAST, feedback_id""", p, kind="api")
    return rows, total
