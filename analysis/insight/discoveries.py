"""Content shifts: which foods, topics and words people write about more or less, and since when.

The trend engine scans every food family and entry (mentions), topic and term; this module turns its
significant rows into findings a person can act on:
- one row per key (its strongest segment), shares of comments only (what is talked about);
- a share that moved only because another key grew (or shrank) is set apart: it is re-tested among the
  comments without that other key, and when the change disappears there it is `explained_by` it — if
  "mariscos" grows from 5 % to 25 % of the comments, every unrelated word loses a fifth of its share;
- findings that tell the same story (a family, its dishes, a topic and a word, all about the same
  comments) are one finding, led by the most readable level (family, entry, topic, term) and listing the
  others as `related`.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from analysis.filters import Filters, where
from analysis.insight import trends
from analysis.insight.wording import excerpt
from analysis.privacy import redact
from analysis.stats import two_proportion

DIMENSIONS = ("mention", "topic", "term")
LEVEL_ORDER = {"family": 0, "entry": 1, "topic": 2, "term": 3}
OVERLAP = 0.5          # share of the smaller finding's comments (since the shift) that the other also has
MAX_CAUSES = 3         # strongest opposite findings tried as the cause of a share that moved
COLUMNS = ["dimension", "level", "key", "direction", "start_month", "end_month", "segment_type", "segment",
           "rate_before", "rate_after", "k_before", "n_before", "k_after", "n_after", "effect", "q",
           "related", "explained_by", "verbatims"]


def _families(store) -> set[str]:
    df = store.query("""SELECT DISTINCT CASE WHEN family IN (SELECT entry FROM active_food_mentions)
                                             THEN family || ' (familia)' ELSE family END AS f
                        FROM active_food_mentions""", kind="insights")
    return set(df["f"])


def _level(dimension: str, key: str, families: set[str]) -> str:
    if dimension == "mention":
        return "family" if key in families else "entry"
    return dimension


def candidates(store, filters: Filters | None = None, today: date | None = None,
               dimensions: tuple[str, ...] = DIMENSIONS) -> pd.DataFrame:
    """Significant share shifts of every content dimension, one row per key (its most significant
    segment, the whole data preferred on ties)."""
    frames = []
    for dim in dimensions:
        v = trends.trend_view(store, dim, filters, "month", today=today)
        sig = v.scan[v.scan["significant"] & (v.scan["metric"] == "share") & (v.scan["polarity"] == "all")]
        if len(sig):
            frames.append(sig.assign(end_month=sig["after_to"]))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.assign(_all=(rows["segment_type"] != "all").astype(int)).sort_values(
        ["q", "_all", "dimension", "key", "segment_type", "segment"], kind="stable")
    rows = rows.drop_duplicates(["dimension", "key"]).drop(columns="_all")
    fams = _families(store) if "mention" in dimensions else set()
    rows["level"] = [_level(d, k, fams) for d, k in zip(rows["dimension"], rows["key"])]
    return rows.reset_index(drop=True)


def segment_sql(row) -> tuple[str, list]:
    if row["segment_type"] == "all":
        return "TRUE", []
    col = {"category": "fb.category", "product": "fb.product", "region": "fb.region",
           "zone": trends.zone_sql("fb.region"), "category_region": "fb.category || ' · ' || fb.region"}
    return f"{col[row['segment_type']]} = ?", [row["segment"]]


def _after_ids(store, row, filters: Filters | None) -> set[str]:
    """The comments behind a finding since it started (its segment, its key)."""
    cond, params = where(filters, alias="fb")
    seg, sp = segment_sql(row)
    kc, kp = trends.key_filter(row["dimension"], row["key"], alias="fb")
    df = store.query(f"""SELECT fb.feedback_id FROM feedback fb
                         WHERE fb.date >= ? AND {cond} AND {seg} AND {kc}""",
                     [pd.Timestamp(row["start_month"] + "-01").date()] + params + sp + kp, kind="insights")
    return set(df["feedback_id"])


def _without(store, row, other, filters: Filters | None) -> tuple[int, int, int, int]:
    """(k_before, n_before, k_after, n_after) of `row`'s key among its segment's comments that do NOT carry
    `other`'s key, split at `row`'s start month."""
    cond, params = where(filters, alias="fb")
    seg, sp = segment_sql(row)
    kc, kp = trends.key_filter(row["dimension"], row["key"], alias="fb")
    oc, op = trends.key_filter(other["dimension"], other["key"], alias="fb")
    start = pd.Timestamp(row["start_month"] + "-01").date()
    end = (pd.Timestamp(row["end_month"] + "-01") + pd.offsets.MonthEnd(0)).date()
    base = trends._BASE[row["dimension"]]
    r = store.cursor().execute(f"""
        SELECT count(*) FILTER (WHERE fb.date < ? AND {kc}), count(*) FILTER (WHERE fb.date < ?),
               count(*) FILTER (WHERE fb.date >= ? AND {kc}), count(*) FILTER (WHERE fb.date >= ?)
        FROM feedback fb WHERE fb.date IS NOT NULL AND fb.date <= ? AND {cond} AND {seg} AND {base}
          AND NOT ({oc})""",
        [start] + kp + [start, start] + kp + [start, end] + params + sp + op).fetchall()[0]
    return tuple(int(x) for x in r)


def _explained(store, rows: pd.DataFrame, filters: Filters | None, alpha: float) -> list[str | None]:
    """For each row, the opposite-direction finding that accounts for its change, if any."""
    out = []
    strongest = {d: rows[rows["direction"] == d].assign(a=lambda x: x["effect"].abs())
                 .sort_values("a", ascending=False).head(MAX_CAUSES) for d in ("up", "down")}
    for r in rows.to_dict("records"):
        cause = None
        opposite = strongest["down" if r["direction"] == "up" else "up"]
        for o in opposite.to_dict("records"):
            same = (o["dimension"], o["key"]) == (r["dimension"], r["key"])
            if same or abs(o["effect"]) <= abs(r["effect"]):
                continue
            k0, n0, k1, n1 = _without(store, r, o, filters)
            if min(n0, n1) == 0:
                continue
            _, _, diff, _, _, _, p = two_proportion(k0, n0, k1, n1)
            if p >= alpha or np.sign(diff) != (1 if r["direction"] == "up" else -1):
                cause = o["key"]
                break
        out.append(cause)
    return out


def _group(rows: pd.DataFrame, ids: list[set[str]]) -> list[list[int]]:
    """Indices of rows that tell the same story (same direction, overlapping comments), strongest lead
    first: readable level, then q."""
    order = sorted(range(len(rows)), key=lambda i: (LEVEL_ORDER[rows.iloc[i]["level"]], rows.iloc[i]["q"],
                                                   rows.iloc[i]["key"]))
    used, groups = set(), []
    for i in order:
        if i in used:
            continue
        used.add(i)
        g = [i]
        for j in order:
            if j in used or rows.iloc[j]["direction"] != rows.iloc[i]["direction"]:
                continue
            a, b = ids[i], ids[j]
            if a and b and len(a & b) >= OVERLAP * min(len(a), len(b)):
                g.append(j)
                used.add(j)
        groups.append(g)
    return groups


def discover(store, filters: Filters | None = None, today: date | None = None, n_verbatims: int = 3,
             alpha: float = 0.05, dimensions: tuple[str, ...] = DIMENSIONS) -> pd.DataFrame:
    """Content findings (COLUMNS), strongest first; rows explained by another finding are kept at the end
    with `explained_by` set, so a reader can see why they are not headlines."""
    rows = candidates(store, filters, today, dimensions)
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows["explained_by"] = _explained(store, rows, filters, alpha)
    own = rows[rows["explained_by"].isna()].reset_index(drop=True)
    ids = [_after_ids(store, r, filters) for r in own.to_dict("records")]
    leads = []
    for g in _group(own, ids):
        lead = own.iloc[g[0]].to_dict()
        keys = (own.iloc[j]["key"] for j in g[1:])
        lead["related"] = list(dict.fromkeys(k for k in keys if k != lead["key"]))
        leads.append(lead)
    out = pd.DataFrame(leads)
    out["verbatims"] = [
        [excerpt(redact(t), r["key"]) for t in trends.verbatims(
            store, r["dimension"], r["key"], segment_type=r["segment_type"], segment=r["segment"],
            filters=filters, since=r["start_month"] + "-01", limit=n_verbatims)["text"]]
        for r in out.to_dict("records")]
    explained = rows[rows["explained_by"].notna()]
    explained = explained.assign(related=[[] for _ in range(len(explained))],
                                 verbatims=[[] for _ in range(len(explained))])
    out = out.assign(_a=-out["effect"].abs()).sort_values(["q", "_a", "key"], kind="stable") \
        .drop(columns="_a")
    return pd.concat([out, explained], ignore_index=True)[COLUMNS]
