"""Intent -> one SQL query over the allowed views (run through the guard like any other)."""
from __future__ import annotations

import re

from analysis.ask.intent import Filters, Intent
from analysis.ask.vocabulary import fold

# Where each kind of mention lives: (view, column). A kind is a filter (comments with such a mention), a
# grouping (one row per value: comments mentioning it) and the base of shares by polarity.
MENTION_VIEWS = {"attribute": ("mentions_enriched", "attribute"), "food": ("foods_enriched", "entry"),
                 "food_family": ("foods_enriched", "family")}
DIM_COL = {"product": "product", "region": "region", "channel": "channel", "category": "category",
           "brand": "brand", "lang": "lang", "topic": "topic_label"}
TIME_KEY = {"month": ("month", "month"),
            "quarter": ("strftime(date, '%Y') || '-Q' || CAST(quarter(date) AS VARCHAR)", "quarter"),
            "year": ("year", "year"), "rating": ("rating", "rating")}
WORD_COUNT = r"len(string_split_regex(trim(text), '\s+'))"


def _q(v) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def word_stems(w: str) -> list[str]:
    """The forms a word filter looks for, each then allowed a plural ending (+s/+es): the word as asked and
    without its own plural ending ("postres" -> "postre", "flores" -> "flor")."""
    w = fold(w).strip()
    out = [w]
    if w.endswith("es") and len(w) > 4:
        out.append(w[:-2])
    if w.endswith("s") and len(w) > 3:
        out.append(w[:-1])
    return sorted(set(out), key=len, reverse=True)


def _word_cond(words: list[str]) -> str:
    alts = "|".join("(?:" + "|".join(re.escape(s).replace(r"\ ", r"\s+") for s in word_stems(w)) + ")"
                    for w in words)
    pattern = r"\b(?:" + alts + r")(?:s|es)?\b"
    return f"regexp_matches(lower(strip_accents(text)), {_q(pattern)})"


def _rating_cond(ivs: list[dict]) -> str:
    parts = []
    for iv in ivs:
        c = []
        if iv.get("lo") is not None:
            c.append(f"rating {'>=' if iv.get('lo_inc', True) else '>'} {_num(iv['lo'])}")
        if iv.get("hi") is not None:
            c.append(f"rating {'<=' if iv.get('hi_inc', True) else '<'} {_num(iv['hi'])}")
        parts.append(" AND ".join(c) or "rating IS NOT NULL")
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(f"({p})" for p in parts) + ")"


def _in(col: str, vs) -> str:
    vs = [vs] if isinstance(vs, str) else list(vs)
    return f"{col} = {_q(vs[0])}" if len(vs) == 1 else f"{col} IN ({', '.join(_q(v) for v in vs)})"


def mention_condition(m: dict) -> str:
    """The condition on a mentions view's rows: its value (one, a list = OR, or None = any) and polarity."""
    _, col = MENTION_VIEWS[m["kind"]]
    cond = _in(col, m["value"]) if m.get("value") is not None else ""
    if m.get("polarity"):
        cond += (" AND " if cond else "") + f"polarity = {_q(m['polarity'])}"
    return cond or "TRUE"


def conditions(f: Filters | None, table: str = "feedback_enriched") -> list[str]:
    """The WHERE conditions of a set of filters, for rows of `table` (feedback_enriched or a mentions view,
    which carry the comment's columns but not its sentiment nor its topic). A mention filter keeps the
    comments with such a mention; one marked scope 'row' ("¿qué postre...?") keeps the mention rows
    themselves when `table` is its view."""
    if f is None:
        return []
    w = []
    for dim, vs in f.values.items():
        col = DIM_COL[dim]
        if dim == "topic" and table != "feedback_enriched":
            w.append(f"feedback_id IN (SELECT feedback_id FROM feedback_enriched WHERE {_in(col, vs)})")
            continue
        w.append(_in(col, vs))
    if f.rating:
        w.append(_rating_cond(f.rating))
    if f.sentiment:
        c = (f"sentiment = {_q(f.sentiment[0])}" if len(f.sentiment) == 1
             else f"sentiment IN ({', '.join(_q(s) for s in f.sentiment)})")
        w.append(c if table == "feedback_enriched"
                 else f"feedback_id IN (SELECT feedback_id FROM feedback_enriched WHERE {c})")
    for m in f.mentions:
        view, _ = MENTION_VIEWS[m["kind"]]
        if m.get("scope") == "row" and view == table:
            w.append(mention_condition(m))
            continue
        w.append(f"feedback_id IN (SELECT feedback_id FROM {view} WHERE {mention_condition(m)})")
    if f.words:
        w.append(_word_cond(f.words))
    if f.length:
        expr = "length(text)" if f.length["unit"] == "chars" else WORD_COUNT
        w.append(f"{expr} {'>' if f.length['op'] == 'gt' else '<'} {int(f.length['n'])}")
    return w


def _period(it: Intent) -> list[str]:
    if not it.date_from:
        return []
    if it.by_year:
        y0, y1 = int(it.date_from[:4]), int(it.date_to[:4]) - 1
        return [f"year = {y0}"] if y0 == y1 else [f"year BETWEEN {y0} AND {y1}"]
    return [f"date >= DATE {_q(it.date_from)}", f"date < DATE {_q(it.date_to)}"]


def _measure(it: Intent) -> tuple[str, str]:
    """(expression over feedback_enriched rows, value column name)."""
    m = it.metric
    if m == "avg_rating":
        return "round(avg(rating), 2)", "avg_rating"
    if m == "min_rating":
        return "min(rating)", "min_rating"
    if m == "max_rating":
        return "max(rating)", "max_rating"
    if m == "avg_length":
        if it.length_unit == "words":
            return f"round(avg({WORD_COUNT}), 1)", "avg_words"
        return "round(avg(length(text)), 1)", "avg_chars"
    if m == "distinct":
        return f"count(DISTINCT {DIM_COL.get(it.distinct_of, it.distinct_of)})", f"n_{it.distinct_of}"
    if m == "share":
        sub = " AND ".join(conditions(it.subset)) or "TRUE"
        return f"round(100.0 * count(*) FILTER (WHERE {sub}) / nullif(count(*), 0), 1)", "pct"
    return "count(*)", "comments"


def _ranked(sql_select: str, key: str, expr: str, it: Intent, value: str) -> str:
    if it.group in TIME_KEY and not it.order:
        return f"{sql_select} ORDER BY {key}"
    if not it.order:
        return f"{sql_select} ORDER BY {value} DESC NULLS LAST, {key}"
    d = "ASC" if it.order == "asc" else "DESC"
    return (f"{sql_select} QUALIFY rank() OVER (ORDER BY {expr} {d}) <= {int(it.top_n or 1)} "
            f"ORDER BY {value} {d}, {key}")


def to_sql(it: Intent) -> tuple[str, str]:
    """(sql, value column name)."""
    if it.group in MENTION_VIEWS:
        return _by_mention(it)
    if it.metric == "distinct" and it.distinct_of in MENTION_VIEWS:
        # "¿cuántos alimentos distintos se mencionan?": distinct values over the mentions view
        view, col = MENTION_VIEWS[it.distinct_of]
        where = conditions(it.filters, view) + _period(it)
        wsql = (" WHERE " + " AND ".join(where)) if where else ""
        return f"SELECT count(DISTINCT {col}) AS n_{it.distinct_of} FROM {view}{wsql}", f"n_{it.distinct_of}"
    where = conditions(it.filters) + _period(it)
    expr, value = _measure(it)
    if not it.group:
        cols = f"{expr} AS {value}"
        if it.metric == "share":
            sub = " AND ".join(conditions(it.subset)) or "TRUE"
            cols += f", count(*) FILTER (WHERE {sub}) AS n, count(*) AS base"
        wsql = (" WHERE " + " AND ".join(where)) if where else ""
        return f"SELECT {cols} FROM feedback_enriched{wsql}", value
    if it.group in TIME_KEY:
        key_expr, key = TIME_KEY[it.group]
        where.append(f"{'date' if it.group in ('month', 'quarter') else it.group} IS NOT NULL")
    else:
        key_expr = DIM_COL[it.group]
        key = it.group if key_expr == it.group else key_expr
        where.append(f"{key_expr} IS NOT NULL")
    sel = (f"SELECT {key_expr} AS {key}, {expr} AS {value} FROM feedback_enriched "
           f"WHERE {' AND '.join(where)} GROUP BY 1 HAVING {expr} IS NOT NULL")
    return _ranked(sel, key, expr, it, value), value


def _by_mention(it: Intent) -> tuple[str, str]:
    """One row per attribute, food or family: comments with such a mention, over the mentions view."""
    view, col = MENTION_VIEWS[it.group]
    where = conditions(it.filters, view) + _period(it)
    pol = it.group_polarity
    if it.metric == "share" and pol:
        expr = (f"round(100.0 * count(DISTINCT feedback_id) FILTER (WHERE polarity = {_q(pol)}) "
                f"/ count(DISTINCT feedback_id), 1)")
        value = "pct"
    elif it.metric == "avg_rating":
        if pol:
            where.append(f"polarity = {_q(pol)}")
        expr, value = "round(avg(rating), 2)", "avg_rating"
    elif it.metric == "count":
        if pol:
            where.append(f"polarity = {_q(pol)}")
        expr, value = "count(DISTINCT feedback_id)", "comments"
    else:
        raise ValueError(f"{it.metric} by {it.group}")
    where.append(f"{col} IS NOT NULL")
    sel = f"SELECT {col}, {expr} AS {value} FROM {view} WHERE {' AND '.join(where)} GROUP BY 1"
    return _ranked(sel, col, expr, it, value), value
