"""Intent -> one SQL query over the allowed views (run through the guard like any other)."""
from __future__ import annotations

from analysis.ask.intent import Intent


# -- SQL --------------------------------------------------------------------------------------------
def _q(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _where(it: Intent, with_subject: bool, table: str) -> list[str]:
    w = []
    for col in ("product", "region", "channel", "category"):
        v = getattr(it, col)
        if v is not None:
            w.append(f"{col} = {_q(v)}")
    if it.date_from:
        w.append(f"date >= DATE {_q(it.date_from)}")
    if it.date_to:
        w.append(f"date < DATE {_q(it.date_to)}")
    if with_subject:
        w += _subject(it, table)
    return w


def _subject(it: Intent, table: str) -> list[str]:
    if it.attribute:
        cond = (f"attribute = {_q(it.attribute)}"
                + (f" AND polarity = {_q(it.polarity)}" if it.polarity else ""))
        if table == "mentions_enriched":
            return [cond]
        return [f"feedback_id IN (SELECT feedback_id FROM mentions_enriched WHERE {cond})"]
    if it.sentiment:
        return [f"sentiment = {_q(it.sentiment)}"]
    return []


GROUP_COL = {"product": "product", "region": "region", "channel": "channel", "month": "month",
             "attribute": "attribute", "category": "category", "brand": "brand"}


def to_sql(it: Intent) -> tuple[str, str]:
    """(sql, value column name)."""
    if it.metric == "distinct":
        col = GROUP_COL[it.group]
        table = "mentions_enriched" if it.group == "attribute" or it.attribute else "feedback_enriched"
        where = (_where(it, True, table) if table == "feedback_enriched"
                 else _where(it, False, table) + _subject(it, table))
        wsql = (" WHERE " + " AND ".join(where)) if where else ""
        value = f"n_{it.group}"
        return f"SELECT count(DISTINCT {col}) AS {value} FROM {table}{wsql}", value
    by_attr = it.group == "attribute"
    if it.metric == "share" and it.share_of_mentions:
        table = "mentions_enriched"
        where = _where(it, False, table) + [f"attribute = {_q(it.attribute)}"]
        value = "pct"
        expr = (f"round(100.0 * count(DISTINCT feedback_id) FILTER (WHERE polarity = {_q(it.polarity)}) "
                f"/ count(DISTINCT feedback_id), 1)")
    elif it.metric == "share" and by_attr:
        table = "mentions_enriched"
        where = _where(it, False, table)
        value = "pct"
        expr = (f"round(100.0 * count(DISTINCT feedback_id) FILTER (WHERE polarity = {_q(it.sentiment)}) "
                f"/ count(DISTINCT feedback_id), 1)")
    elif it.metric == "share":
        table = "feedback_enriched"
        cond = " AND ".join(_subject(it, "feedback_enriched"))
        where = _where(it, False, table)
        value = "pct"
        expr = f"round(100.0 * count(*) FILTER (WHERE {cond}) / count(*), 1)"
    elif by_attr:
        # one row per attribute over the mentions; without an attribute the polarity word sits in `sentiment`
        table = "mentions_enriched"
        pol = it.polarity or it.sentiment
        where = _where(it, False, table) + ([f"polarity = {_q(pol)}"] if pol else [])
        if it.metric == "avg_rating":
            expr, value = "round(avg(rating), 2)", "avg_rating"
        else:
            expr, value = "count(DISTINCT feedback_id)", "comments"
    else:
        table = "feedback_enriched"
        where = _where(it, True, table)
        if it.metric == "avg_rating":
            expr, value = "round(avg(rating), 2)", "avg_rating"
        else:
            expr, value = "count(*)", "comments"
    wsql = (" WHERE " + " AND ".join(where)) if where else ""
    if it.group:
        col = GROUP_COL[it.group]
        nn = f"{col} IS NOT NULL"
        wsql = f"{wsql} AND {nn}" if wsql else f" WHERE {nn}"
        sql = f"SELECT {col}, {expr} AS {value} FROM {table}{wsql} GROUP BY {col}"
        if it.group == "month":
            sql += f" ORDER BY {col}"
        else:
            direction = "ASC" if it.order == "asc" else "DESC"
            sql += f" ORDER BY {value} {direction} NULLS LAST, {col}"
            if it.top_n:
                sql += f" LIMIT {int(it.top_n)}"
    else:
        sql = f"SELECT {expr} AS {value} FROM {table}{wsql}"
    return sql, value
