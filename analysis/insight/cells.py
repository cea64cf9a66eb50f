"""Facts from the database for insights (SELECT only; writes live in analysis/store.py).

Everything is computed from two small aggregates that DuckDB builds in one pass (`load_cells`):
- `den`: per (product, region, month) the comments `n`, rated comments and the sum / sum of squares of
  their stars;
- `mk`: the same per (attribute, polarity, product, region, month) for the comments that mention it.
Any segment (a set of products x a set of regions x a range of months) is a sum of cells, so rates, mean
stars and "stars with vs without the mention" of any segment are exact and cheap, and the functions over
cells never touch a row.
"""
from __future__ import annotations

import pandas as pd

from analysis.filters import Filters, where

NO_PRODUCT, NO_REGION = "(sin producto)", "(sin región)"


SEGMENT_COLUMNS = {"region": "region", "channel": "channel", "segment": "segment", "product": "product",
                   "category": "category", "brand": "brand", "lang": "lang"}


def load_cells(store, filters: Filters | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(den, mk) aggregates described in the module docstring, from the active predictions."""
    cond, params = where(filters, alias="fb")
    base = f"""
        WITH f AS (SELECT fb.feedback_id, CAST(date_trunc('month', fb.date) AS DATE) AS month,
                          coalesce(fb.product, '{NO_PRODUCT}') AS product,
                          coalesce(fb.region, '{NO_REGION}') AS region, fb.rating
                   FROM dated_feedback fb WHERE fb.date IS NOT NULL AND {cond})"""
    den = store.query(base + """
        SELECT product, region, month, count(*) AS n, count(rating) AS n_rated,
               coalesce(sum(rating), 0) AS s_rating, coalesce(sum(rating * rating), 0) AS ss_rating
        FROM f GROUP BY ALL""", params, kind="insights")
    mk = store.query(base + """,
        m AS (SELECT DISTINCT feedback_id, attribute, polarity FROM active_taste_mentions
              WHERE polarity IN ('negative', 'positive'))
        SELECT m.attribute, m.polarity, f.product, f.region, f.month, count(*) AS k,
               count(f.rating) AS k_rated,
               coalesce(sum(f.rating), 0) AS s_rating, coalesce(sum(f.rating * f.rating), 0) AS ss_rating
        FROM m JOIN f USING (feedback_id) GROUP BY ALL""", params, kind="insights")
    for df in (den, mk):
        df["month"] = pd.to_datetime(df["month"])
    return den, mk


def last_date(store, filters: Filters | None = None):
    cond, params = where(filters)
    return store.scalar(f"SELECT max(date) FROM dated_feedback WHERE date IS NOT NULL AND {cond}", params)


def segment_counts(store, column: str, a: str, b: str, filters: Filters | None = None) -> pd.DataFrame:
    """Per side (a, b) and feature: comments with it (k) and comments in the side (n). Features are
    'sentimiento: negative|neutral|positive' and '<attribute>: negative|positive'."""
    if column not in SEGMENT_COLUMNS:
        raise ValueError(f"No se puede comparar por {column!r}; use uno de: {', '.join(SEGMENT_COLUMNS)}")
    if a == b:
        raise ValueError("Elija dos segmentos distintos para comparar.")
    col = SEGMENT_COLUMNS[column]
    cond, params = where(filters, alias="e")
    return store.query(f"""
        WITH s AS (SELECT e.feedback_id, e.sentiment, e.{col} AS side FROM feedback_enriched e
                   WHERE e.{col} IN (?, ?) AND {cond}),
        n AS (SELECT side, count(*) AS n, count(sentiment) AS n_sent FROM s GROUP BY side),
        feats AS (
            SELECT side, 'sentimiento' AS attribute, sentiment AS polarity, count(*) AS k FROM s
            WHERE sentiment IS NOT NULL GROUP BY ALL
            UNION ALL
            SELECT s.side, m.attribute, m.polarity, count(DISTINCT s.feedback_id) FROM s
            JOIN active_taste_mentions m USING (feedback_id)
            WHERE m.polarity IN ('negative', 'positive') GROUP BY ALL)
        SELECT f.side, f.attribute, f.polarity, f.k,
               CASE WHEN f.attribute = 'sentimiento' THEN n.n_sent ELSE n.n END AS n
        FROM feats f JOIN n USING (side)""", [a, b] + params, kind="insights")


def segment_months(den: pd.DataFrame, mk: pd.DataFrame, attribute: str, polarity: str,
                   products, regions) -> pd.DataFrame:
    """Monthly k, n and star sums of one segment (products x regions; regions None = all), zeros included."""
    dm = den["product"].isin(products) & (True if regions is None else den["region"].isin(regions))
    mm = (mk["attribute"] == attribute) & (mk["polarity"] == polarity) & mk["product"].isin(products) & \
        (True if regions is None else mk["region"].isin(regions))
    d = den[dm].groupby("month")[["n", "n_rated", "s_rating", "ss_rating"]].sum()
    m = mk[mm].groupby("month")[["k", "k_rated", "s_rating", "ss_rating"]].sum().add_suffix("_k")
    out = d.join(m, how="left").fillna(0).reset_index()
    return out.rename(columns={"k_k": "k", "k_rated_k": "k_rated"})


def rec_verbatims(store, rec: dict, n: int = 3, filters: Filters | None = None) -> list[str]:
    """Representative comments behind a recommendation, PII redacted: comments of the segment since the
    shift began that carry the mention, those whose stars are closest to the group's mean first (typical,
    not extreme), one per month where possible, newest first."""
    from analysis.privacy import redact

    cond, params = where(filters, alias="f")
    prods = list(rec["products"])
    regs = list(rec["regions"] or [])
    reg_cond = f"AND f.region IN ({', '.join('?' for _ in regs)})" if regs else ""
    sql = f"""
        WITH c AS (
            SELECT f.feedback_id, f.text, f.date, f.rating FROM dated_feedback f
            WHERE f.product IN ({', '.join('?' for _ in prods)}) {reg_cond}
              AND f.date >= ? AND {cond}
              AND EXISTS (SELECT 1 FROM active_taste_mentions m WHERE m.feedback_id = f.feedback_id
                          AND m.attribute = ? AND m.polarity = ?)),
        r AS (SELECT *, abs(coalesce(rating, 3) - (SELECT avg(rating) FROM c)) AS dist,
                     row_number() OVER (PARTITION BY date_trunc('month', date)
                                        ORDER BY abs(coalesce(rating, 3) - (SELECT avg(rating) FROM c)),
                                                 abs(length(text) - 110), feedback_id) AS rk
              FROM c)
        SELECT text FROM r ORDER BY rk, date DESC, feedback_id LIMIT {int(n)}"""
    start = pd.Timestamp(rec["start_month"] + "-01").date()
    df = store.query(sql, prods + regs + [start] + params + [rec["attribute"], rec["polarity"]],
                     kind="insights")
    return [redact(t) for t in df["text"]]


def market_evidence(store, rec: dict) -> list[dict]:
    """Market metrics of the recommendation's products (and regions) before vs since the shift: the plain
    mean of the monthly values, and its relative change. Empty when no market rows match."""
    prods = list(rec["products"])
    regs = list(rec["regions"] or [])
    reg_cond = f"AND region IN ({', '.join('?' for _ in regs)})" if regs else ""
    start = pd.Timestamp(rec["start_month"] + "-01").date()
    end = (pd.Timestamp(rec["end_month"] + "-01") + pd.offsets.MonthEnd(0)).date()
    df = store.query(f"""
        SELECT metric, avg(value) FILTER (WHERE date < ?) AS before,
               avg(value) FILTER (WHERE date >= ? AND date <= ?) AS after
        FROM market_trends WHERE product IN ({', '.join('?' for _ in prods)}) {reg_cond}
        GROUP BY metric HAVING count(*) FILTER (WHERE date < ?) > 0 AND count(*) FILTER (WHERE date >= ?) > 0
        ORDER BY metric""", [start, start, end] + prods + regs + [start, start], kind="insights")
    df["change_pct"] = 100 * (df["after"] / df["before"] - 1)
    return df.to_dict("records")


def product_categories(store) -> dict:
    df = store.query("SELECT product, any_value(category) AS category FROM feedback "
                     "WHERE product IS NOT NULL AND category IS NOT NULL GROUP BY product", kind="insights")
    return dict(zip(df["product"], df["category"]))


def key_rating_sums(store, finding: dict, filters: Filters | None = None) -> dict:
    """Star sums since a content finding started, in its segment: comments with its key (`_k`) and all
    comments (no suffix) — what `stats.mean_diff` needs for "stars with the key vs without"."""
    from analysis.insight import discoveries, trends

    cond, params = where(filters, alias="fb")
    seg, sp = discoveries.segment_sql(finding)
    kc, kp = trends.key_filter(finding["dimension"], finding["key"], alias="fb")
    start = pd.Timestamp(finding["start_month"] + "-01").date()
    row = store.cursor().execute(f"""
        SELECT count(rating) FILTER (WHERE {kc}), coalesce(sum(rating) FILTER (WHERE {kc}), 0),
               coalesce(sum(rating * rating) FILTER (WHERE {kc}), 0),
               count(rating), coalesce(sum(rating), 0), coalesce(sum(rating * rating), 0)
        FROM feedback fb WHERE fb.date >= ? AND {cond} AND {seg}""",
        kp * 3 + [start] + params + sp).fetchall()[0]
    keys = ["k_rated", "s_rating_k", "ss_rating_k", "n_rated", "s_rating", "ss_rating"]
    return dict(zip(keys, (float(x) for x in row)))
