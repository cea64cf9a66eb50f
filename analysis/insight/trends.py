"""Tastes over time: period aggregation, emerging/declining detection and its significance.

Counting happens in DuckDB (one GROUP BY per call); the statistics are vectorised numpy over a
[series x period] matrix, so thousands of series cost milliseconds and no Python loop touches rows.

A *series* is one proportion over time: e.g. "share of comments in the south that praise picante".
Two detectors read the same matrix:
- `window`: the latest `window` complete months against the `baseline` months before (the brief's
  "what changed lately"), one two-proportion z-test per series;
- `scan`: when did it change? Every month is tried as a change point (before vs from-then-on), the
  split with the largest |z| wins, and its p-value accounts for every split tried (a Hunter-Worsley
  bound on the max of correlated z's), so scanning cannot manufacture significance out of noise.
Either way Benjamini-Hochberg q-values control false discoveries within two families of hypotheses
(`tiers`): the overview series (a key's share of all comments) and the rest (polarities, segments,
single dishes); series with too few comments are "insufficient data" instead of being tested.
The current, partial period is marked and never enters a test (a half month is not a drop).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy.special import owens_t
from scipy.stats import norm

from analysis.filters import Filters, where
from analysis.insight.wording import headline
from analysis.stats import bh_qvalues, two_proportion
from analysis.store import rollups

BY_CHOICES = ("attribute", "mention", "topic", "term", "product", "region")
PERIODS = ("month", "quarter")
SERIES_COLS = ["dimension", "key", "polarity", "metric", "segment_type", "segment"]

# Peru's macro-regions, so that a shift spread over several southern departments adds up to one
# signal ("picante ↑ en el sur"). Keys are lower-case without accents (matched with strip_accents).
ZONES = {
    "lima": "Lima", "callao": "Lima", "lima metropolitana": "Lima",
    "tumbes": "norte", "piura": "norte", "lambayeque": "norte", "chiclayo": "norte", "la libertad": "norte",
    "trujillo": "norte", "cajamarca": "norte", "ancash": "norte", "chimbote": "norte",
    "junin": "centro", "huancayo": "centro", "pasco": "centro", "huanuco": "centro",
    "huancavelica": "centro", "ica": "centro",
    "arequipa": "sur", "moquegua": "sur", "tacna": "sur", "puno": "sur", "cusco": "sur", "cuzco": "sur",
    "apurimac": "sur", "ayacucho": "sur", "madre de dios": "sur", "juliaca": "sur",
    "loreto": "oriente", "iquitos": "oriente", "ucayali": "oriente", "pucallpa": "oriente",
    "san martin": "oriente", "tarapoto": "oriente", "amazonas": "oriente",
}
@dataclass(frozen=True)
class Guards:
    """Minimum volumes: below them a series is 'insufficient data', never a trend."""
    min_n: int = 30          # comments (denominator) on each side of a comparison
    min_events: int = 10     # mentions (numerator) over both sides together
    min_side: int = 2        # periods on each side of a scanned change point
    # Mentions expected on each side if nothing changed: below 5 the z-test's normal approximation fails
    # (on real reviews with random dates, splits with ~1 expected mention before gave q ≈ 0.0002).
    min_expected: float = 5.0
    alpha: float = 0.05      # q-value threshold for "significant"


# ---------------------------------------------------------------------------------------------
# SQL: counts per series and period (k = comments with the thing, n = comments it is a share of)
# ---------------------------------------------------------------------------------------------

def _sql_literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def zone_sql(col: str = "region") -> str:
    whens = " ".join(f"WHEN {_sql_literal(k)} THEN {_sql_literal(v)}" for k, v in ZONES.items())
    return f"(CASE lower(strip_accents(trim({col}))) {whens} ELSE NULL END)"


def _expand_sql(src: str, types: tuple[str, ...], cols: str) -> str:
    """Rows of `src` (counts already summed per period, product, category, region and zone) once per segment
    type they belong to: segments are expanded after aggregation, on tens of thousands of rows rather than
    on every comment (27 s -> see bench/queries.py at 1M comments)."""
    segment = {"all": ("'todos'", "TRUE"), "category": ("category", "category IS NOT NULL"),
               "product": ("product", "product IS NOT NULL"), "region": ("region", "region IS NOT NULL"),
               "zone": ("zone", "zone IN (SELECT zone FROM zones)"),
               "category_region": ("category || ' · ' || region",
                                   "category IS NOT NULL AND region IS NOT NULL")}
    return "\nUNION ALL ".join(
        f"SELECT '{t}' AS segment_type, {segment[t][0]} AS segment, period, {cols} FROM {src} "
        f"WHERE {segment[t][1]}" for t in types)


DEFAULT_SEGMENTS = {
    "attribute": ("all", "category", "region", "zone", "product", "category_region"),
    "mention": ("all", "category", "region", "zone", "product"),
    "topic": ("all", "category", "region", "zone"),
    "term": ("all", "region", "product"),
    "product": ("all", "region", "zone"),
    "region": ("all", "category"),
}
TERM_MIN_DF = 20          # a term in fewer comments (within the filters) is never tested
TERM_MAX_KEYS = 2000      # the most frequent terms only: rarer ones cannot reach significance anyway

# Which comments a share is OF, per dimension: only comments the analysis has seen, so that comments still
# waiting for the model never dilute a share into a false decline.
_BASE = {
    "attribute": "EXISTS (SELECT 1 FROM active_predictions b WHERE b.feedback_id = fb.feedback_id)",
    "mention": "EXISTS (SELECT 1 FROM active_food_scans b WHERE b.feedback_id = fb.feedback_id)",
    "topic": "EXISTS (SELECT 1 FROM current_topic_assignments b WHERE b.feedback_id = fb.feedback_id)",
    "term": "EXISTS (SELECT 1 FROM term_scans b WHERE b.feedback_id = fb.feedback_id)",
    "product": "TRUE",
    "region": "TRUE",
}


def _unit_sql(by: str) -> tuple[str, bool]:
    """Rows (feedback_id, key[, polarity]) of one dimension, and whether it carries a polarity."""
    if by == "attribute":
        return "SELECT DISTINCT feedback_id, attribute AS key, polarity FROM active_taste_mentions", True
    if by == "mention":
        # families and entries are keys alike; a family named like an entry is told apart
        return """SELECT DISTINCT feedback_id,
                         CASE WHEN family IN (SELECT entry FROM active_food_mentions)
                              THEN family || ' (familia)' ELSE family END AS key, polarity
                  FROM active_food_mentions
                  UNION SELECT DISTINCT feedback_id, entry, polarity FROM active_food_mentions""", True
    if by == "topic":
        return """SELECT ft.feedback_id, coalesce(t.label, 'Tema ' || ft.topic_id) AS key
                  FROM current_topic_assignments ft
                  LEFT JOIN topics t ON t.run_id = ft.run_id AND t.topic_id = ft.topic_id
                  WHERE ft.topic_id >= 0""", False
    if by == "term":
        return f"""SELECT t.feedback_id, l.label AS key FROM feedback_terms t
                   JOIN (SELECT term, label FROM term_labels WHERE df >= {TERM_MIN_DF}
                         ORDER BY df DESC, term LIMIT {TERM_MAX_KEYS}) l USING (term)""", False
    return f"SELECT feedback_id, {by} AS key FROM feedback WHERE {by} IS NOT NULL", False


# Each comment and key of the polar dimensions once, with the polarities it was given and the comment's
# columns the counts and filters read (raw `feedback.date`, as `f` below): written down once per data version
# (analysis/store/rollups.py), since grouping every mention by comment and key and joining it with the
# comments was most of a scan at 1M comments (bench/queries.py). Same rows as `uf JOIN f` without filters.
UNITS_SQL = f"""
INSERT INTO {rollups.UNITS}
SELECT u.dimension, u.feedback_id, u.key, u.pols, fb.date, fb.product, fb.category, fb.region, fb.channel
FROM (SELECT 'attribute' AS dimension, feedback_id, key, list_sort(list(DISTINCT polarity)) AS pols
      FROM ({_unit_sql('attribute')[0]}) GROUP BY ALL
      UNION ALL
      SELECT 'mention', feedback_id, key, list_sort(list(DISTINCT polarity))
      FROM ({_unit_sql('mention')[0]}) GROUP BY ALL) u
JOIN feedback fb USING (feedback_id)
WHERE CASE u.dimension WHEN 'attribute' THEN {_BASE['attribute']} ELSE {_BASE['mention']} END"""
# The comments each polar dimension has seen (the shares' base), counted per day and comment dimension: what
# `f` below reads for them instead of joining every comment with its model reading at each scan.
BASE_SQL = f"""
INSERT INTO {rollups.BASE}
SELECT 'attribute', fb.date, fb.product, fb.category, fb.region, fb.channel, count(*)
FROM feedback fb WHERE {_BASE['attribute']} GROUP BY ALL
UNION ALL
SELECT 'mention', fb.date, fb.product, fb.category, fb.region, fb.channel, count(*)
FROM feedback fb WHERE {_BASE['mention']} GROUP BY ALL"""


def series_counts(store, by: str = "attribute", filters: Filters | None = None, period: str = "month",
                  segment_types: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Long DataFrame: SERIES_COLS + period, k, n — one row per series and period, zeros included.

    One engine for every dimension: `k` comments with the key (and polarity) among `n` comments of the
    segment that the dimension's analysis has seen. Polar dimensions (attribute, mention) give a share per
    polarity plus 'all', and the share of complaints among the key's comments; the others give the key's
    share and the share of negative comments among its comments."""
    if by not in BY_CHOICES:
        raise ValueError(f"'by' debe ser uno de {', '.join(BY_CHOICES)} (recibido: {by!r})")
    if period not in PERIODS:
        raise ValueError(f"'period' debe ser month o quarter (recibido: {period!r})")
    if by == "term":
        from analysis.insight import terms

        terms.update(store)
    seg_types = segment_types or DEFAULT_SEGMENTS[by]
    cond, params = where(filters, alias="fb")
    unit, polar = _unit_sql(by)
    # "seen by the model" is "has an active prediction" for attributes: an inner join says it in one join
    join, base = ("JOIN", "TRUE") if by == "attribute" else ("LEFT JOIN", _BASE[by])
    if polar:   # n comments per day and dimensions, written down (BASE_SQL)
        rows = f"""SELECT CAST(date_trunc('{period}', fb.date) AS DATE) AS period, fb.product, fb.category,
                          fb.region, {zone_sql('fb.region')} AS zone, fb.n
                   FROM {rollups.fresh_table(store, rollups.BASE, BASE_SQL)} fb
                   WHERE fb.dimension = '{by}' AND fb.date IS NOT NULL AND {cond}"""
    else:       # one row per comment
        rows = f"""SELECT fb.feedback_id, CAST(date_trunc('{period}', fb.date) AS DATE) AS period, fb.product,
                          fb.category, fb.region, {zone_sql('fb.region')} AS zone, p.sentiment, 1 AS n
                   FROM feedback fb {join} active_predictions p USING (feedback_id)
                   WHERE fb.date IS NOT NULL AND {cond} AND {base}"""
    head = f"""
    WITH f AS ({rows}),
    -- a zone with a single region in the data would only repeat that region's series
    zones AS (SELECT zone FROM f WHERE zone IS NOT NULL GROUP BY zone HAVING count(DISTINCT region) > 1),
    fagg AS (SELECT period, product, category, region, zone, sum(n) AS n FROM f GROUP BY ALL),
    den AS (SELECT segment_type, segment, period, CAST(sum(n) AS BIGINT) AS n
            FROM ({_expand_sql('fagg', seg_types, 'n')}) GROUP BY ALL)"""
    if polar:
        params = params + params     # the filters apply to `f` and to the written-down units alike
        body = f""",
    -- each comment and key once, with the polarities it was given (UNITS_SQL), counted (w) per period, key,
    -- polarities and base dimensions first: the zone and the polarities are then expanded on those counts,
    -- not on every mention; one pass serves both the share per polarity (plus 'all') and of complaints
    uk AS (SELECT key, pols, period, product, category, region, {zone_sql('region')} AS zone, w
           FROM (SELECT fb.key, fb.pols, CAST(date_trunc('{period}', fb.date) AS DATE) AS period, fb.product,
                        fb.category, fb.region, count(*) AS w
                 FROM {rollups.fresh_table(store, rollups.UNITS, UNITS_SQL)} fb
                 WHERE fb.dimension = '{by}' AND fb.date IS NOT NULL AND {cond} GROUP BY ALL)),
    magg AS (SELECT key, polarity, period, product, category, region, zone, sum(w) AS k
             FROM (SELECT key, unnest(list_append(pols, 'all')) AS polarity, period, product, category,
                          region, zone, w FROM uk)
             GROUP BY ALL),
    share AS (SELECT key, polarity, segment_type, segment, period, CAST(sum(k) AS BIGINT) AS k
              FROM ({_expand_sql('magg', seg_types, 'key, polarity, k')}) GROUP BY ALL),
    keys AS (SELECT DISTINCT key, polarity, segment_type, segment FROM share),
    share_full AS (
        SELECT '{by}' AS dimension, keys.key, keys.polarity, 'share' AS metric, keys.segment_type,
               keys.segment, den.period, coalesce(share.k, 0) AS k, den.n
        FROM keys JOIN den USING (segment_type, segment)
        LEFT JOIN share USING (key, polarity, segment_type, segment, period)),
    aagg AS (SELECT key, period, product, category, region, zone,
                    coalesce(sum(w) FILTER (WHERE list_contains(pols, 'negative')), 0) AS k, sum(w) AS n
             FROM uk GROUP BY ALL),
    negshare AS (
        SELECT '{by}' AS dimension, key, 'negative' AS polarity, 'negative_share' AS metric,
               segment_type, segment, period, CAST(sum(k) AS BIGINT) AS k, CAST(sum(n) AS BIGINT) AS n
        FROM ({_expand_sql('aagg', seg_types, 'key, k, n')}) GROUP BY ALL)
    SELECT * FROM share_full UNION ALL SELECT * FROM negshare"""
    else:
        body = f""",
    u AS ({unit}),
    sagg AS (SELECT u.key, f.period, f.product, f.category, f.region, f.zone, count(*) AS k,
                    count(*) FILTER (WHERE f.sentiment = 'negative') AS k_neg, count(f.sentiment) AS n_sent
             FROM u JOIN f USING (feedback_id) GROUP BY ALL),
    share AS (SELECT key, segment_type, segment, period, CAST(sum(k) AS BIGINT) AS k,
                     CAST(sum(k_neg) AS BIGINT) AS k_neg, CAST(sum(n_sent) AS BIGINT) AS n_sent
              FROM ({_expand_sql('sagg', seg_types, 'key, k, k_neg, n_sent')}) GROUP BY ALL),
    keys AS (SELECT DISTINCT key, segment_type, segment FROM share)
    SELECT '{by}' AS dimension, keys.key, 'all' AS polarity, 'share' AS metric, keys.segment_type,
           keys.segment, den.period, coalesce(share.k, 0) AS k, den.n
    FROM keys JOIN den USING (segment_type, segment)
    LEFT JOIN share USING (key, segment_type, segment, period)"""
        if by != "term":    # a word's share of complaints says little; its share of comments is the finding
            body += f"""
    UNION ALL
    SELECT '{by}', key, 'negative', 'negative_share', segment_type, segment, period, k_neg, n_sent
    FROM share WHERE n_sent > 0"""
    df = store.query(head + body, params, kind="trends")
    if df.empty:
        return pd.DataFrame(columns=SERIES_COLS + ["period", "k", "n"])
    if by in ("product", "region"):
        # the per-key breakdown by its own dimension is the key itself: drop "product X in product X"
        df = df[~((df["segment_type"] == by) & (df["segment"] == df["key"]))]
    if by == "mention":
        fam = store.query("""SELECT DISTINCT CASE WHEN family IN (SELECT entry FROM active_food_mentions)
                                     THEN family || ' (familia)' ELSE family END AS f
                             FROM active_food_mentions""", kind="trends")["f"]
        df["family"] = df["key"].isin(set(fam))
    df["period"] = pd.to_datetime(df["period"])
    df[["k", "n"]] = df[["k", "n"]].astype("int64")
    return df.reset_index(drop=True)


def data_span(store, filters: Filters | None = None) -> tuple[date | None, date | None]:
    cond, params = where(filters)
    rows = store.cursor().execute(   # fetchall: a half-read result blocks the cursor in DuckDB 2
        f"SELECT min(date), max(date) FROM feedback WHERE date IS NOT NULL AND {cond}", params).fetchall()
    return (rows[0][0], rows[0][1]) if rows else (None, None)


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------

def period_end(start: pd.Timestamp, period: str = "month") -> pd.Timestamp:
    months = 3 if period == "quarter" else 1
    return (start + pd.DateOffset(months=months)) - pd.Timedelta(days=1)


def is_partial(last_period: pd.Timestamp, last_date, period: str = "month", today: date | None = None,
               min_coverage: float = 0.9) -> bool:
    """The last period is partial when it is still running (today inside it) or when the data stop well
    before its end (fewer than `min_coverage` of its days covered)."""
    if last_date is None or pd.isna(last_period):
        return False
    today = today or date.today()
    start = pd.Timestamp(last_period)
    end = period_end(start, period)
    if pd.Timestamp(today) <= end:
        return True
    days = (end - start).days + 1
    covered = (pd.Timestamp(last_date) - start).days + 1
    return covered < min_coverage * days


def complete_periods(counts: pd.DataFrame, last_date, period: str = "month",
                     today: date | None = None) -> tuple[pd.DatetimeIndex, pd.Timestamp | None]:
    """Every period from the first to the last complete one (gaps included), and the partial one if any."""
    if counts.empty:
        return pd.DatetimeIndex([]), None
    freq = "QS" if period == "quarter" else "MS"
    first, last = counts["period"].min(), counts["period"].max()
    idx = pd.date_range(first, last, freq=freq)
    partial = None
    if is_partial(last, last_date, period, today):
        partial, idx = last, idx[:-1]
    return idx, partial


def tiers(keys: pd.DataFrame) -> np.ndarray:
    """1 for the overview series (a key's share of all comments, the whole data; for food mentions only
    families), 2 for the rest (polarities, complaint shares, segments, single dishes). Each tier is its own
    family of hypotheses for Benjamini-Hochberg: the few overview questions ("is seafood rising?") are not
    diluted by the thousands of segment series, and each tier keeps its false-discovery rate at alpha."""
    overview = ((keys["segment_type"] == "all") & (keys["metric"] == "share") & (keys["polarity"] == "all")
                & (keys["dimension"] != "mention"))
    if "family" in keys:
        overview |= keys["family"].fillna(False).astype(bool) & (keys["segment_type"] == "all") \
            & (keys["metric"] == "share") & (keys["polarity"] == "all")
    return np.where(overview, 1, 2)


def _matrix(counts: pd.DataFrame, periods: pd.DatetimeIndex):
    """(series DataFrame, K[S,T], N[S,T]) with zeros where a series has no row for a period."""
    c = counts[counts["period"].isin(periods)]
    extra = [col for col in ("family",) if col in counts]
    keys = counts[SERIES_COLS + extra].drop_duplicates(SERIES_COLS).reset_index(drop=True)
    sid = c.merge(keys.reset_index(names="sid"), on=SERIES_COLS, how="left")["sid"].to_numpy()
    tid = periods.get_indexer(c["period"])
    K = np.zeros((len(keys), len(periods)))
    N = np.zeros((len(keys), len(periods)))
    np.add.at(K, (sid, tid), c["k"].to_numpy(dtype=float))
    np.add.at(N, (sid, tid), c["n"].to_numpy(dtype=float))
    return keys, K, N


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------

def _status(q: np.ndarray, insufficient: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(insufficient, "insufficient data",
                    np.where(q < alpha, "significant", "not significant"))


def _max_z_pvalue(b: np.ndarray, cN: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """P(max over the tried splits of |Z| >= b) under no change: the max of many z's is not one z.

    Hunter-Worsley bound: P(U A_t) <= P(A_1) + sum P(A_t minus A_t-1), with adjacent split statistics
    correlated as a Brownian bridge, rho = sqrt(u_s (1-u_t) / (u_t (1-u_s))), u = cumulative share of
    comments; for equal thresholds P(Z_s <= b < Z_t) = 2 T(b, sqrt((1-rho)/(1+rho))) (Owen's T).
    Never above Bonferroni (count of splits x single p), and far tighter when months are many."""
    b = b[:, None]
    u = cN[:, :-1] / np.maximum(cN[:, -1:], 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.sqrt(u[:, :-1] * (1 - u[:, 1:]) / (u[:, 1:] * (1 - u[:, :-1])))
        a = np.sqrt(np.clip((1 - rho) / (1 + rho), 0, None))
    pair = valid[:, :-1] & valid[:, 1:]
    steps = np.where(pair, 4 * owens_t(b, np.nan_to_num(a)), 0.0).sum(axis=1)
    single = 2 * norm.sf(b[:, 0])
    bound = single + steps
    bonf = single * np.maximum(valid.sum(axis=1), 1)
    return np.minimum(1.0, np.minimum(bound, bonf))


def shape_fit(K: np.ndarray, N: np.ndarray, direction: np.ndarray, min_side: int = 2):
    """When did it start, and how: a step (jumps at month m1) or a ramp (moves linearly from m1 until
    it settles at m2)? Returns (m1 index, shape name) per series.

    Weighted least squares of the monthly rates (weights = comments) over every (m1, m2) pair, vectorised
    over series; only fits moving in the detected direction count. A step is the ramp with m1 = m2; a
    longer ramp must beat the best step by a BIC margin (one extra parameter), so noise does not turn
    steps into ramps. Why: a slow decline's best step split lands mid-way; the ramp finds its first month."""
    S, T = K.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        Y = np.where(N > 0, K / N, 0.0)
    W = N
    m1, m2 = np.triu_indices(T)                         # all pairs m1 <= m2 ...
    keep = (m1 >= max(min_side, 1)) & (m2 <= T - 1)
    m1, m2 = m1[keep], m2[keep]
    is_step = m1 == m2
    keep = ~is_step | (T - m1 >= min_side)              # a step needs min_side months after it
    m1, m2, is_step = m1[keep], m2[keep], is_step[keep]
    t = np.arange(T)[None, :]
    X = np.clip((t - m1[:, None] + 1) / (m2 - m1 + 1)[:, None], 0, 1)
    Sw, Swy, Swyy = W.sum(1, keepdims=True), (W * Y).sum(1, keepdims=True), (W * Y * Y).sum(1, keepdims=True)
    Swx, Swxx, Swxy = W @ X.T, W @ (X * X).T, (W * Y) @ X.T
    with np.errstate(divide="ignore", invalid="ignore"):
        Sxx = Swxx - Swx ** 2 / Sw
        Sxy = Swxy - Swx * Swy / Sw
        sse = (Swyy - Swy ** 2 / Sw) - Sxy ** 2 / Sxx
        slope = Sxy / Sxx
    ok = (np.sign(slope) == np.sign(direction)[:, None]) & np.isfinite(sse)
    sse = np.where(ok, sse, np.inf)
    step_sse = np.where(is_step[None, :], sse, np.inf)
    js, ja = step_sse.argmin(axis=1), sse.argmin(axis=1)
    rows = np.arange(S)
    s_best, a_best = step_sse[rows, js], sse[rows, ja]
    with np.errstate(invalid="ignore"):
        margin = np.log(T) * s_best / max(T - 3, 1)
        use_ramp = np.isfinite(a_best) & ~is_step[ja] & ((s_best - a_best > margin) | ~np.isfinite(s_best))
    start = np.where(use_ramp, m1[ja], np.where(np.isfinite(s_best), m1[js], 0))
    return start.astype(int), np.where(use_ramp, "ramp", "step").astype(object)


def scan_matrix(K: np.ndarray, N: np.ndarray, guards: Guards = Guards()):
    """Best single change point per series. Returns dict of arrays (split index c: first 'after' period)."""
    S, T = K.shape
    cK, cN = np.cumsum(K, axis=1), np.cumsum(N, axis=1)
    totK, totN = cK[:, -1:], cN[:, -1:]
    k0, n0 = cK[:, :-1], cN[:, :-1]            # split c=1..T-1 → before = periods [0, c)
    k1, n1 = totK - k0, totN - n0
    _, _, _, _, _, z, _ = two_proportion(k0, n0, k1, n1)
    c_idx = np.arange(1, T)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        pool = np.where(totN > 0, totK / totN, 0.0)
    valid = ((c_idx >= guards.min_side) & (T - c_idx >= guards.min_side)
             & (n0 >= guards.min_n) & (n1 >= guards.min_n) & (totK >= guards.min_events)
             & (n0 * pool >= guards.min_expected) & (n1 * pool >= guards.min_expected))
    absz = np.where(valid, np.abs(np.nan_to_num(z)), -1.0)
    n_cand = valid.sum(axis=1)
    best = absz.argmax(axis=1) if T > 1 else np.zeros(S, dtype=int)
    rows = np.arange(S)
    insufficient = n_cand == 0
    c = best + 1
    bk0, bn0 = k0[rows, best], n0[rows, best]
    bk1, bn1 = k1[rows, best], n1[rows, best]
    p0, p1, diff, lo, hi, zz, p = two_proportion(bk0, bn0, bk1, bn1)
    p_adj = np.where(insufficient, np.nan, _max_z_pvalue(np.abs(zz), cN, valid))
    start, shape = shape_fit(K, N, np.sign(diff), guards.min_side)
    start = np.where(np.isinf(start) | (start == 0), c, start)
    return {"c": c, "start": start, "shape": shape, "k_before": bk0, "n_before": bn0, "k_after": bk1,
                "n_after": bn1, "rate_before": p0, "rate_after": p1,
                "effect": diff, "ci_low": lo, "ci_high": hi, "z": zz, "p": p_adj, "p_raw": p,
                "n_candidates": n_cand, "insufficient": insufficient}


def _frame(keys: pd.DataFrame, res: dict, periods: pd.DatetimeIndex, guards: Guards, mode: str,
           start_idx: np.ndarray, before_span, after_span) -> pd.DataFrame:
    out = keys[SERIES_COLS].copy()
    out["mode"] = mode
    out["tier"] = tiers(keys)
    q = np.full(len(keys), np.nan)
    for t in (1, 2):
        q[out["tier"].to_numpy() == t] = bh_qvalues(np.asarray(res["p"])[out["tier"].to_numpy() == t])
    insufficient = res["insufficient"]
    out["status"] = _status(q, insufficient, guards.alpha)
    out["significant"] = out["status"] == "significant"
    out["direction"] = np.where(res["effect"] > 0, "up", np.where(res["effect"] < 0, "down", "flat"))
    starts = np.clip(start_idx, 0, max(len(periods) - 1, 0))
    out["start_month"] = [periods[i].strftime("%Y-%m") if len(periods) else None for i in starts]
    for col in ("rate_before", "rate_after", "effect", "ci_low", "ci_high", "z", "p"):
        out[col] = np.where(insufficient, np.nan, res[col])
    out["q"] = q
    out["relative_change"] = np.where(insufficient | (res["rate_before"] <= 0), np.nan,
                                      res["rate_after"]
                                      / np.where(res["rate_before"] > 0, res["rate_before"], 1) - 1)
    for col in ("k_before", "n_before", "k_after", "n_after"):
        out[col] = res[col].astype("int64")
    out["before_from"], out["before_to"] = before_span
    out["after_from"], out["after_to"] = after_span
    return out


def scan_shifts(counts: pd.DataFrame, last_date=None, period: str = "month", guards: Guards = Guards(),
                today: date | None = None) -> pd.DataFrame:
    """WHEN did each series change? One best change point per series over the whole history."""
    periods, _ = complete_periods(counts, last_date, period, today)
    if counts.empty or len(periods) < 2 * guards.min_side:
        return _empty_result()
    keys, K, N = _matrix(counts, periods)
    res = scan_matrix(K, N, guards)
    c = res["c"]
    fmt = lambda i: periods[int(i)].strftime("%Y-%m")
    before = ([fmt(0)] * len(c), [fmt(i - 1) for i in c])
    after = ([fmt(i) for i in c], [fmt(len(periods) - 1)] * len(c))
    out = _frame(keys, res, periods, guards, "scan", res["start"], before, after)
    out["shape"] = res["shape"]
    return _rank(out)


def window_shifts(counts: pd.DataFrame, last_date=None, window: int = 3, baseline: int = 6,
                  guards: Guards = Guards(), today: date | None = None) -> pd.DataFrame:
    """Latest `window` complete months vs the `baseline` months before them."""
    if window < 1 or baseline < 1:
        raise ValueError("window y baseline deben ser al menos 1 mes")
    periods, _ = complete_periods(counts, last_date, "month", today)
    if counts.empty or len(periods) < window + baseline:
        return _empty_result()
    periods = periods[-(window + baseline):]
    keys, K, N = _matrix(counts, periods)
    k0, n0 = K[:, :baseline].sum(1), N[:, :baseline].sum(1)
    k1, n1 = K[:, baseline:].sum(1), N[:, baseline:].sum(1)
    p0, p1, diff, lo, hi, z, p = two_proportion(k0, n0, k1, n1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pool = np.where(n0 + n1 > 0, (k0 + k1) / (n0 + n1), 0.0)
    insufficient = ((n0 < guards.min_n) | (n1 < guards.min_n) | (k0 + k1 < guards.min_events)
                    | (n0 * pool < guards.min_expected) | (n1 * pool < guards.min_expected))
    res = {"k_before": k0, "n_before": n0, "k_after": k1, "n_after": n1, "rate_before": p0,
               "rate_after": p1, "effect": diff, "ci_low": lo, "ci_high": hi, "z": z,
               "p": np.where(insufficient, np.nan, p), "insufficient": insufficient}
    # first month of the shift: the best change point inside baseline+window (one period a side allowed)
    inner = scan_matrix(K, N, Guards(min_n=1, min_events=0, min_side=1, min_expected=0))
    start = np.where(np.sign(inner["effect"]) == np.sign(diff), inner["c"], baseline)
    f = lambda i: periods[i].strftime("%Y-%m")
    S = len(keys)
    before = ([f(0)] * S, [f(baseline - 1)] * S)
    after = ([f(baseline)] * S, [f(len(periods) - 1)] * S)
    out = _frame(keys, res, periods, guards, "window", start, before, after)
    out["shape"] = "window"
    return _rank(out)


RESULT_COLS = SERIES_COLS + [
    "mode", "tier", "status", "significant", "direction", "start_month", "shape", "rate_before", "rate_after",
    "effect", "ci_low", "ci_high", "relative_change", "z", "p", "q", "k_before", "n_before", "k_after",
    "n_after", "before_from", "before_to", "after_from", "after_to"]


def _empty_result() -> pd.DataFrame:
    # typed: indexing by an empty object-dtype "significant" column would select columns, not rows
    return pd.DataFrame(columns=RESULT_COLS).astype({"significant": bool})


def _rank(df: pd.DataFrame) -> pd.DataFrame:
    order = {"significant": 0, "not significant": 1, "insufficient data": 2}
    df = df.assign(_o=df["status"].map(order), _e=-df["effect"].abs().fillna(0))
    # ties (q underflows to 0 for strong shifts) broken by the series itself: the SQL's group order is not
    # stable between runs, and the API and the CLI must rank alike
    ties = [c for c in SERIES_COLS if c in df.columns]
    return df.sort_values(["_o", "q", "_e", *ties], na_position="last", kind="stable") \
        .drop(columns=["_o", "_e"])[RESULT_COLS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Store-level entry points (what the CLI and the pages call)
# ---------------------------------------------------------------------------------------------

def shifts(store, by: str = "attribute", filters: Filters | None = None, window: int = 3, baseline: int = 6,
           guards: Guards = Guards(), today: date | None = None) -> pd.DataFrame:
    """Recent shifts: latest `window` months vs the `baseline` months before, every series of `by`."""
    counts = series_counts(store, by, filters, "month")
    return window_shifts(counts, data_span(store, filters)[1], window, baseline, guards, today)


def shift_scan(store, by: str = "attribute", filters: Filters | None = None, period: str = "month",
               guards: Guards = Guards(), today: date | None = None) -> pd.DataFrame:
    """Shifts at any time in the history, each with the period it started."""
    counts = series_counts(store, by, filters, period)
    return scan_shifts(counts, data_span(store, filters)[1], period, guards, today)


def over_time(store, by: str = "attribute", filters: Filters | None = None, period: str = "month",
              segment_types: tuple[str, ...] = ("all",), today: date | None = None) -> pd.DataFrame:
    """Share per period for charts: SERIES_COLS + period, k, n, share, partial."""
    counts = series_counts(store, by, filters, period, segment_types)
    if counts.empty:
        return counts.assign(share=pd.Series(dtype=float), partial=pd.Series(dtype=bool))
    _, partial = complete_periods(counts, data_span(store, filters)[1], period, today)
    out = counts.assign(share=counts["k"] / counts["n"].where(counts["n"] > 0))
    out["partial"] = out["period"] == partial if partial is not None else False
    return out.sort_values(SERIES_COLS + ["period"]).reset_index(drop=True)




def headline_rows(sig: pd.DataFrame) -> pd.DataFrame:
    """Significant rows in the order a reader wants them, one row per key and measure (its strongest
    segment). Taste attributes: praise/complaint series before "any mention" (which only repeats them).
    Foods, topics and words: the overview (share of all comments) first — "mariscos ↑" is the news; a
    dish's praise in one region comes after."""
    if sig.empty:
        return sig
    if (sig["dimension"] == "attribute").all():
        ordered = pd.concat([sig[sig["polarity"] != "all"], sig[sig["polarity"] == "all"]])
    else:
        tier = sig["tier"] if "tier" in sig else pd.Series(2, index=sig.index)
        ordered = sig.assign(_t=tier).sort_values(["_t", "q"], kind="stable").drop(columns="_t")
    return ordered.drop_duplicates(["key", "metric"])


def _jsonable(df: pd.DataFrame) -> list[dict]:
    """Records with plain Python values; NaN → None; tiny p/q values kept (to_json would round them to 0)."""
    out = df.astype(object).where(df.notna(), None).to_dict("records")
    for r in out:
        for k, v in r.items():
            if isinstance(v, (np.floating, float)):
                r[k] = float(f"{float(v):.6g}")
            elif isinstance(v, np.integer):
                r[k] = int(v)
            elif isinstance(v, np.bool_):
                r[k] = bool(v)
    return out


@dataclass
class TrendView:
    """What the Tendencias page and `sabor trends` show for one dimension: the counts behind every series,
    the history scan (when each series changed), the latest window against its baseline, the partial
    period left out of the tests, and the strongest significant rows with their headlines."""
    counts: pd.DataFrame
    scan: pd.DataFrame
    recent: pd.DataFrame
    partial: pd.Timestamp | None
    periods: int
    top: pd.DataFrame
    headlines: list[str]


def trend_view(store, by: str = "attribute", filters: Filters | None = None, period: str = "month",
               window: int = 3, baseline: int = 6, guards: Guards = Guards(), today: date | None = None,
               lang: str = "es", top: int = 6) -> TrendView:
    last = data_span(store, filters)[1]
    counts = series_counts(store, by, filters, period)
    periods, partial = complete_periods(counts, last, period, today)
    scan = scan_shifts(counts, last, period, guards, today)
    monthly = counts if period == "month" else series_counts(store, by, filters, "month")
    recent = window_shifts(monthly, last, window, baseline, guards, today)
    best = headline_rows(scan[scan["significant"]]).head(top)
    return TrendView(counts, scan, recent, partial, len(periods), best,
                     [headline(r, lang) for r in best.to_dict("records")])


def trends_json(store, by: str = "attribute", period: str = "month", filters: Filters | None = None,
                window: int = 3, baseline: int = 6, guards: Guards = Guards(), today: date | None = None,
                include_all: bool = False) -> dict:
    """Everything `sabor trends --format json` prints. `shifts` = the history scan (when it started),
    `recent` = latest window vs baseline. Only significant rows unless `include_all`."""
    first, last = data_span(store, filters)
    v = trend_view(store, by, filters, period, window, baseline, guards, today, top=5)
    keep = (lambda d: d) if include_all else (lambda d: d[d["significant"]])
    return {
        "by": by, "period": period, "window_months": window, "baseline_months": baseline,
        "alpha": guards.alpha,
        "data": {"first_date": str(first) if first else None, "last_date": str(last) if last else None,
                 "complete_periods": v.periods,
                 "partial_period": v.partial.strftime("%Y-%m") if v.partial is not None else None},
        "tested": {"scan": int((v.scan["status"] != "insufficient data").sum()),
                   "recent": int((v.recent["status"] != "insufficient data").sum()),
                   "insufficient_data": int((v.scan["status"] == "insufficient data").sum())},
        "headlines": v.headlines,
        "shifts": _jsonable(keep(v.scan)),
        "recent": _jsonable(keep(v.recent)),
    }


def trends_table(payload: dict, limit: int = 30) -> str:
    """Plain-text table of the significant shifts for `--format table`."""
    rows = payload["shifts"][:limit]
    if not rows:
        return "Sin cambios significativos (q < {:.2f}).".format(payload["alpha"])
    cols = ["key", "polarity", "metric", "segment", "direction", "start_month", "rate_before", "rate_after",
            "effect", "q", "n_before", "n_after"]
    df = pd.DataFrame(rows)[cols]
    for c in ("rate_before", "rate_after", "effect"):
        df[c] = (df[c] * 100).round(1)
    df["q"] = df["q"].map(lambda v: f"{v:.1e}")
    return df.to_string(index=False)


# ---------------------------------------------------------------------------------------------
# Drill-down: the verbatims behind a point
# ---------------------------------------------------------------------------------------------

def key_filter(dimension: str, key: str, polarity: str = "all", alias: str = "e") -> tuple[str, list]:
    """SQL predicate on `alias.feedback_id`: the comment carries `key` of `dimension` (with that polarity)."""
    unit, polar = _unit_sql(dimension)
    pcond = " AND u.polarity = ?" if polar and polarity != "all" else ""
    return (f"{alias}.feedback_id IN (SELECT u.feedback_id FROM ({unit}) u WHERE u.key = ?{pcond})",
            [key] + ([polarity] if pcond else []))


def verbatims(store, dimension: str, key: str, polarity: str = "all", metric: str = "share",
              segment_type: str = "all", segment: str | None = None, month: str | date | None = None,
              filters: Filters | None = None, period: str = "month", limit: int = 200,
              since: str | date | None = None) -> pd.DataFrame:
    """Comments that make up the numerator of one series (optionally one period, or every period from
    `since`): what a chart point means. Works for every dimension the engine trends."""
    cond, params = where(filters, alias="e")
    extra, xp = [], []
    if month is not None:
        start = pd.Timestamp(month).to_period("Q" if period == "quarter" else "M").start_time.date()
        extra.append(f"CAST(date_trunc('{period}', e.date) AS DATE) = ?")
        xp.append(start)
    if since is not None:
        extra.append("e.date >= ?")
        xp.append(pd.Timestamp(since).date())
    seg_col = {"category": "e.category", "product": "e.product", "region": "e.region",
               "zone": zone_sql("e.region"), "category_region": "e.category || ' · ' || e.region"}
    if segment_type != "all" and segment is not None:
        extra.append(f"{seg_col[segment_type]} = ?")
        xp.append(segment)
    polar = _unit_sql(dimension)[1]
    pol = "negative" if polar and metric == "negative_share" else polarity
    kc, kp = key_filter(dimension, key, pol)
    extra.append(kc)
    xp.extend(kp)
    if not polar and metric == "negative_share":
        extra.append("e.sentiment = 'negative'")
    # feedback_enriched written down (analysis/store/rollups.py): the view itself costs seconds at 1M comments
    sql = f"""SELECT e.feedback_id, e.date, e.product, e.category, e.region, e.channel, e.rating, e.sentiment,
                     e.attributes, e.foods, e.topic_label, e.text
              FROM {rollups.enriched_table(store)} e WHERE {cond} AND {' AND '.join(extra)}
              ORDER BY e.date DESC, e.feedback_id LIMIT {int(limit)}"""
    return store.query(sql, params + xp, kind="trends")
