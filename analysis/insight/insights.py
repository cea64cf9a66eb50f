"""Insights: what drives satisfaction, how two segments differ, and recommendations backed by numbers.

Everything is computed from two small aggregates that DuckDB builds in one pass (`load_cells`):
- `den`: per (product, region, month) the comments `n`, rated comments and the sum / sum of squares of
  their stars;
- `mk`: the same per (attribute, polarity, product, region, month) for the comments that mention it.
Any segment (a set of products x a set of regions x a range of months) is a sum of cells, so rates, mean
stars and "stars with vs without the mention" of any segment are exact and cheap, and the pure functions
below never touch a row.

Recommendations come from rules over these facts, never from free model text:
1. *where*: per (attribute, polarity, product) each region's rate is compared with the rest of the
   product's regions over the whole history (two-proportion tests, Benjamini-Hochberg); regions that stand
   out, above or below, form a "hot" region group. Under "no change in time" the split of a cell's
   mentions between months does not depend on its total, so choosing groups by their total does not
   bias the time test that follows.
2. *when*: every (attribute, polarity) series per product (all regions) and per hot group (its products x
   its regions, pooled) is scanned for one change point with `analysis.insight.trends.scan_shifts` (max-|z| over
   splits with a Hunter-Worsley bound, then BH across every series): a series changes or it does not.
3. *what to do*: significant shifts of the same (attribute, polarity, direction) about the same products
   are one finding, led by the lowest q. Its segment is then decided on the cells (`_segment_of`): regional
   only where the change is concentrated (difference-in-differences against the other regions), with every
   product whose own change there goes the same way (Holm across products), dated again on that pooled
   segment. The rules below turn each finding into an action for an audience; the numbers are recomputed
   on the final segment with the split at the first month of the shift.

Audience rules: complaints rising -> producto (riesgo if the shift started within the last quarter);
praise rising -> marketing; praise falling -> marketing (riesgo if it started within the last quarter);
complaints falling -> marketing (communicate the fix).
Priority = impact x volume x trend = |stars with the mention - stars without| x comments per month in
the segment x |change in share|: roughly "stars per month at stake".
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from analysis.filters import Filters, where
from analysis.insight.trends import Guards, bh_qvalues, month_name, scan_matrix, scan_shifts, two_proportion

POLARITIES = ("negative", "positive")
NO_PRODUCT, NO_REGION = "(sin producto)", "(sin región)"
SEGMENT_COLUMNS = {"region": "region", "channel": "channel", "segment": "segment", "product": "product",
                   "category": "category", "brand": "brand", "lang": "lang"}

# Columns of the shift table the recommendation rules read (a subset of analysis.insight.trends.RESULT_COLS,
# plus `products` / `regions` tuples that say which cells a series pools; None = every region).
SHIFT_COLUMNS = ["key", "polarity", "metric", "segment_type", "segment", "products", "regions", "direction",
                 "start_month", "after_to", "q", "significant"]

REC_COLUMNS = [
    "rank", "audience", "priority", "confidence", "attribute", "polarity", "direction", "products", "regions",
    "start_month", "end_month", "title", "text", "k_before", "n_before", "rate_before", "k_after", "n_after",
    "rate_after", "change_pp", "stars_before", "stars_after", "impact", "impact_ci_low", "impact_ci_high",
    "n_per_month", "months_after", "q", "p", "link", "verbatims", "market", "market_text"]


# ---------------------------------------------------------------------------------------------
# Facts from the database (SELECT only; the SQL for writes lives in analysis/store.py)
# ---------------------------------------------------------------------------------------------

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
        SELECT m.attribute, m.polarity, f.product, f.region, f.month, count(*) AS k, count(f.rating) AS k_rated,
               coalesce(sum(f.rating), 0) AS s_rating, coalesce(sum(f.rating * f.rating), 0) AS ss_rating
        FROM m JOIN f USING (feedback_id) GROUP BY ALL""", params, kind="insights")
    for df in (den, mk):
        df["month"] = pd.to_datetime(df["month"])
    return den, mk


def last_date(store, filters: Filters | None = None):
    cond, params = where(filters)
    return store.scalar(f"SELECT max(date) FROM dated_feedback WHERE date IS NOT NULL AND {cond}", params)


# ---------------------------------------------------------------------------------------------
# Drivers of satisfaction
# ---------------------------------------------------------------------------------------------

def _mean_diff(s1, ss1, n1, s0, ss0, n0, z: float = 1.959963984540054):
    """Difference of means (group 1 - group 0) from sums, with a Welch normal-approximation CI."""
    s1, ss1, n1, s0, ss0, n0 = (np.asarray(x, dtype=float) for x in (s1, ss1, n1, s0, ss0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m0 = s1 / n1, s0 / n0
        v1 = (ss1 - n1 * m1 ** 2) / (n1 - 1)
        v0 = (ss0 - n0 * m0 ** 2) / (n0 - 1)
        se = np.sqrt(np.clip(v1, 0, None) / n1 + np.clip(v0, 0, None) / n0)
    d = m1 - m0
    return m1, m0, d, d - z * se, d + z * se


def drivers(den: pd.DataFrame, mk: pd.DataFrame, by: str | None = None, min_mentions: int = 20) -> pd.DataFrame:
    """Per attribute x polarity (x `by`: product or region): how many comments mention it and the mean
    stars of those comments minus the mean stars of the rest, with a 95% CI. Sorted from the mention that
    costs the most stars to the one that delights most."""
    keys = ["attribute", "polarity"] + ([by] if by else [])
    tot = den.groupby([by] if by else lambda _: 0)[["n", "n_rated", "s_rating", "ss_rating"]].sum()
    g = mk.groupby(keys)[["k", "k_rated", "s_rating", "ss_rating"]].sum().reset_index()
    if g.empty:
        return pd.DataFrame(columns=keys + ["mentions", "share", "stars_with", "stars_without", "impact",
                                            "ci_low", "ci_high", "significant"])
    t = tot.loc[g[by]].reset_index(drop=True) if by else tot.iloc[[0] * len(g)].reset_index(drop=True)
    m1, m0, d, lo, hi = _mean_diff(g["s_rating"], g["ss_rating"], g["k_rated"],
                                   t["s_rating"] - g["s_rating"], t["ss_rating"] - g["ss_rating"],
                                   t["n_rated"] - g["k_rated"])
    out = g[keys].assign(mentions=g["k"].astype(int), share=g["k"] / t["n"], stars_with=m1, stars_without=m0,
                         impact=d, ci_low=lo, ci_high=hi)
    out["significant"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    out = out[out["mentions"] >= min_mentions]
    return out.sort_values("impact").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Segment comparison
# ---------------------------------------------------------------------------------------------

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


def compare_segments(counts: pd.DataFrame, a: str, b: str, alpha: float = 0.05, min_n: int = 30) -> pd.DataFrame:
    """Two-proportion test per feature, side a vs side b, Benjamini-Hochberg across features."""
    cols = ["attribute", "polarity", "k_a", "n_a", "share_a", "k_b", "n_b", "share_b", "diff", "ci_low", "ci_high",
            "p", "q", "significant"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    wide = counts.pivot_table(index=["attribute", "polarity"], columns="side", values=["k", "n"], aggfunc="sum")
    nside = counts.groupby(["side", counts["attribute"] == "sentimiento"])["n"].max()
    df = pd.DataFrame(index=wide.index).reset_index()
    is_sent = df["attribute"] == "sentimiento"
    for tag, side in (("a", a), ("b", b)):
        df[f"k_{tag}"] = wide["k"][side].fillna(0).to_numpy() if side in wide["k"] else 0
        n_att = nside.get((side, False), 0)
        n_sent = nside.get((side, True), 0)
        df[f"n_{tag}"] = np.where(is_sent, n_sent, n_att)
    ok = (df["n_a"] >= min_n) & (df["n_b"] >= min_n)
    pa, pb, diff, lo, hi, _, p = two_proportion(df["k_a"], df["n_a"], df["k_b"], df["n_b"])
    df["share_a"], df["share_b"] = pa, pb
    # diff = a - b (two_proportion gives second minus first)
    df["diff"], df["ci_low"], df["ci_high"] = -diff, -hi, -lo
    df["p"] = np.where(ok, p, np.nan)
    df["q"] = bh_qvalues(df["p"])
    df["significant"] = df["q"] < alpha
    df[["k_a", "k_b", "n_a", "n_b"]] = df[["k_a", "k_b", "n_a", "n_b"]].astype(int)
    return df[cols].sort_values(["significant", "q"], ascending=[False, True]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Shifts: where (hot region groups) and when (change-point scan)
# ---------------------------------------------------------------------------------------------

def hot_regions(den: pd.DataFrame, mk: pd.DataFrame, alpha: float = 0.05, min_n: int = 30,
                min_events: int = 10) -> pd.DataFrame:
    """Per (attribute, polarity, product): regions whose rate over the whole history stands out from the
    rest of that product's regions. Two rounds: a region hidden by a hot neighbour inside 'the rest' is
    compared again against the regions that did not stand out. Columns: attribute, polarity, product,
    region, sign (+1 above, -1 below), rate, rate_rest, q."""
    n = den.groupby(["product", "region"])["n"].sum().rename("n").reset_index()
    k = mk.groupby(["attribute", "polarity", "product", "region"])["k"].sum().rename("k").reset_index()
    keys = k[["attribute", "polarity", "product"]].drop_duplicates()
    g = keys.merge(n, on="product").merge(k, on=["attribute", "polarity", "product", "region"], how="left")
    g["k"] = g["k"].fillna(0)
    fam = ["attribute", "polarity", "product"]
    g["hot"] = False
    for _ in range(2):   # two rounds, each one vectorised test per cell
        cold = ~g["hot"]
        ck = g["k"].where(cold, 0).groupby([g[c] for c in fam]).transform("sum")
        cn = g["n"].where(cold, 0).groupby([g[c] for c in fam]).transform("sum")
        rk, rn = ck - g["k"].where(cold, 0), cn - g["n"].where(cold, 0)
        _, _, diff, _, _, _, p = two_proportion(rk, rn, g["k"], g["n"])
        test = cold & (g["n"] >= min_n) & (rn >= min_n) & (g["k"] + rk >= min_events)
        q = bh_qvalues(np.where(test, p, np.nan))
        new = test & (q < alpha)
        g.loc[new, "sign"] = np.sign(diff[new])
        g.loc[new, "rate_rest"] = (rk / rn)[new]
        g.loc[new, "q"] = q[new]
        g["hot"] = g["hot"] | new
        if not new.any():
            break
    out = g[g["hot"]].assign(rate=lambda d: d["k"] / d["n"])
    return out[fam + ["region", "sign", "rate", "rate_rest", "q"]].reset_index(drop=True)


@dataclass(frozen=True)
class SeriesSpec:
    attribute: str
    polarity: str
    products: tuple[str, ...]
    regions: tuple[str, ...] | None   # None = every region

    @property
    def name(self) -> str:
        where_ = "todas" if self.regions is None else " + ".join(self.regions)
        return f"{' + '.join(self.products)} · {where_}"


def series_specs(den: pd.DataFrame, mk: pd.DataFrame, hot: pd.DataFrame | None = None) -> list[SeriesSpec]:
    """The series to scan: every (attribute, polarity, product) over all regions, plus each hot group
    pooled over the products that share it (same exact region set, and the union per sign)."""
    fam = mk.groupby(["attribute", "polarity", "product"])["k"].sum().reset_index()
    specs = [SeriesSpec(a, p, (pr,), None) for a, p, pr in fam[["attribute", "polarity", "product"]].itertuples(index=False)]
    hot = hot_regions(den, mk) if hot is None else hot
    if not hot.empty:
        sets = (hot.groupby(["attribute", "polarity", "sign", "product"])["region"]
                .agg(lambda r: tuple(sorted(r))).reset_index())
        for (a, p, _), grp in sets.groupby(["attribute", "polarity", "sign"]):
            for regions, same in grp.groupby("region"):
                specs.append(SeriesSpec(a, p, tuple(sorted(same["product"])), regions))
            union = tuple(sorted(set().union(*grp["region"])))
            specs.append(SeriesSpec(a, p, tuple(sorted(grp["product"])), union))
    return list(dict.fromkeys(specs))


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


def scan_counts(den: pd.DataFrame, mk: pd.DataFrame, specs: list[SeriesSpec]) -> tuple[pd.DataFrame, dict]:
    """Long counts (analysis.insight.trends SERIES_COLS + period, k, n) for the specs, and name -> spec."""
    months = pd.DatetimeIndex(sorted(den["month"].unique()))
    frames, by_name = [], {}
    # all-region product series in one vectorised pass
    base = [s for s in specs if s.regions is None and len(s.products) == 1]
    if base:
        n = den.groupby(["product", "month"])["n"].sum()
        k = mk.groupby(["attribute", "polarity", "product", "month"])["k"].sum()
        keys = pd.DataFrame([(s.attribute, s.polarity, s.products[0]) for s in base],
                            columns=["attribute", "polarity", "product"])
        grid = keys.merge(pd.DataFrame({"month": months}), how="cross")
        grid = grid.merge(n.reset_index(), on=["product", "month"], how="left")
        grid = grid.merge(k.reset_index(), on=["attribute", "polarity", "product", "month"], how="left")
        grid["segment"] = grid["product"] + " · todas"
        frames.append(grid.fillna({"k": 0, "n": 0}))
        by_name.update({s.name: s for s in base})
    for s in specs:   # pooled hot groups: a handful
        if s.regions is None and len(s.products) == 1:
            continue
        sm = segment_months(den, mk, s.attribute, s.polarity, s.products, s.regions)
        frames.append(sm[["month", "k", "n"]].assign(attribute=s.attribute, polarity=s.polarity, segment=s.name))
        by_name[s.name] = s
    if not frames:
        return pd.DataFrame(columns=["dimension", "key", "polarity", "metric", "segment_type", "segment",
                                     "period", "k", "n"]), by_name
    c = pd.concat(frames, ignore_index=True)
    counts = pd.DataFrame({"dimension": "attribute", "key": c["attribute"], "polarity": c["polarity"],
                           "metric": "share", "segment_type": "segment", "segment": c["segment"],
                           "period": c["month"], "k": c["k"].astype("int64"), "n": c["n"].astype("int64")})
    return counts, by_name


def detect_shifts(den: pd.DataFrame, mk: pd.DataFrame, last: object = None, guards: Guards | None = None,
                  today=None) -> pd.DataFrame:
    """The shift table (SHIFT_COLUMNS, plus the trends result columns) for every scanned series."""
    specs = series_specs(den, mk)
    counts, by_name = scan_counts(den, mk, specs)
    res = scan_shifts(counts, last, "month", guards or Guards(), today)
    if res.empty:
        return res.assign(products=pd.Series(dtype=object), regions=pd.Series(dtype=object))
    res["products"] = res["segment"].map(lambda s: by_name[s].products)
    res["regions"] = res["segment"].map(lambda s: by_name[s].regions)
    return res


# ---------------------------------------------------------------------------------------------
# Recommendations
# ---------------------------------------------------------------------------------------------

# (action when complaints rise, noun for praise) per attribute, Spanish.
ACTIONS = {
    "dulce": ("reducir el dulzor", "el dulzor"), "salado": ("reducir la sal", "el punto de sal"),
    "picante": ("bajar el picante", "el picante"), "ácido": ("ajustar la acidez", "la acidez"),
    "amargo": ("reducir el amargor", "el amargor"), "sabor": ("revisar la receta", "el sabor"),
    "aroma": ("revisar el aroma", "el aroma"), "textura": ("corregir la textura", "la textura"),
    "frescura": ("revisar la frescura y la rotación", "la frescura"),
    "temperatura": ("revisar la cadena de frío / temperatura de servicio", "la temperatura"),
    "precio": ("revisar el precio", "el precio"), "porción": ("revisar el tamaño de la porción", "la porción"),
    "empaque": ("reforzar el empaque", "el empaque"), "saludable": ("mejorar el perfil saludable", "lo saludable"),
    "ingredientes": ("revisar los ingredientes", "los ingredientes"),
}
AUDIENCES = ("producto", "marketing", "riesgo")


def audience_for(polarity: str, direction: str, start_month: str, end_month: str, recent_months: int = 3) -> str:
    recent = _months_between(start_month, end_month) < recent_months
    if polarity == "negative" and direction == "up":
        return "riesgo" if recent else "producto"
    if polarity == "positive" and direction == "down" and recent:
        return "riesgo"
    return "marketing"


def _months_between(a: str, b: str) -> int:
    ya, ma = map(int, a.split("-")[:2])
    yb, mb = map(int, b.split("-")[:2])
    return (yb - ya) * 12 + (mb - ma)


def fmt_pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def fmt_stars(x: float) -> str:
    return f"{x:+.2f}".replace("-", "−")


def _join(items, lang: str = "es") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" y " if lang == "es" else " and ") + items[-1]


def segment_numbers(den: pd.DataFrame, mk: pd.DataFrame, attribute: str, polarity: str, products, regions,
                    start_month: str, end_month: str) -> dict:
    """The numbers a recommendation states, from the cells: before = months < start, after = start..end."""
    sm = segment_months(den, mk, attribute, polarity, products, regions)
    start, end = pd.Timestamp(start_month + "-01"), pd.Timestamp(end_month + "-01")
    b, a = sm[sm["month"] < start].sum(numeric_only=True), sm[(sm["month"] >= start) & (sm["month"] <= end)].sum(numeric_only=True)
    _, _, diff, _, _, _, p = two_proportion(b["k"], b["n"], a["k"], a["n"])
    _, _, d, lo, hi = _mean_diff(a["s_rating_k"], a["ss_rating_k"], a["k_rated"], a["s_rating"] - a["s_rating_k"],
                                   a["ss_rating"] - a["ss_rating_k"], a["n_rated"] - a["k_rated"])
    months_after = _months_between(start_month, end_month) + 1
    return {
        "k_before": int(b["k"]), "n_before": int(b["n"]), "rate_before": float(b["k"] / b["n"]) if b["n"] else np.nan,
        "k_after": int(a["k"]), "n_after": int(a["n"]), "rate_after": float(a["k"] / a["n"]) if a["n"] else np.nan,
        "change_pp": float(diff) * 100,
        "stars_before": float(b["s_rating"] / b["n_rated"]) if b["n_rated"] else np.nan,
        "stars_after": float(a["s_rating"] / a["n_rated"]) if a["n_rated"] else np.nan,
        "impact": float(d), "impact_ci_low": float(lo), "impact_ci_high": float(hi),
        "months_after": months_after, "n_per_month": float(a["n"]) / months_after, "p": float(p),
    }


def _confidence(q: float, k_after: int, impact_lo: float, impact_hi: float) -> str:
    impact_sure = impact_lo > 0 or impact_hi < 0
    if q < 0.001 and k_after >= 30 and impact_sure:
        return "alta"
    if q < 0.01 and k_after >= 15:
        return "media"
    return "baja"


def _holm(p) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN stays NaN and is not counted as a test."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m:
        pv = p[ok]
        order = np.argsort(pv)
        adj = np.minimum(1.0, np.maximum.accumulate(pv[order] * (m - np.arange(m))))
        res = np.empty(m)
        res[order] = adj
        out[ok] = res
    return out


def product_changes(den: pd.DataFrame, mk: pd.DataFrame, attribute: str, polarity: str, regions,
                    start_month: str, end_month: str) -> pd.DataFrame:
    """Per product: mentions k / comments n before (months < start) and after (start..end), inside `regions`
    (None = every region) and outside them. Columns k_in0, n_in0, k_in1, n_in1, k_out0, n_out0, k_out1, n_out1."""
    start, end = pd.Timestamp(start_month + "-01"), pd.Timestamp(end_month + "-01")
    parts = []
    for df, col in ((den, "n"), (mk[(mk["attribute"] == attribute) & (mk["polarity"] == polarity)], "k")):
        df = df[df["month"] <= end]
        inside = np.ones(len(df), bool) if regions is None else df["region"].isin(regions).to_numpy()
        key = col + "_" + pd.Series(np.where(inside, "in", "out"), index=df.index) + \
            pd.Series(np.where(df["month"] >= start, "1", "0"), index=df.index)
        parts.append(df.groupby([df["product"], key])[col].sum().unstack())
    cols = [f"{c}_{s}{w}" for c in ("k", "n") for s in ("in", "out") for w in "01"]
    return pd.concat(parts, axis=1).reindex(columns=cols).fillna(0)


def change_tests(t: pd.DataFrame) -> pd.DataFrame:
    """For rows of `product_changes` (or their sums): the change inside (after - before), its two-sided p,
    and the z of the difference-in-differences (change inside - change outside; NaN when nothing is outside).
    A change is *concentrated* in the regions when the inside change is larger than the outside one beyond
    chance, not merely when its point estimate is: the same change everywhere is not a regional finding."""
    _, _, diff, _, _, _, p = two_proportion(t["k_in0"], t["n_in0"], t["k_in1"], t["n_in1"])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = {f"{s}{w}": t[f"k_{s}{w}"] / t[f"n_{s}{w}"] for s in ("in", "out") for w in "01"}
        var = sum(r[x] * (1 - r[x]) / t[f"n_{x}"] for x in r)
        did = (r["in1"] - r["in0"]) - (r["out1"] - r["out0"])
        z_did = did / np.sqrt(var)
    has_out = (t["n_out0"] > 0) & (t["n_out1"] > 0)
    return pd.DataFrame({"change": diff, "p": p, "z_did": np.where(has_out, z_did, np.nan)}, index=t.index)


_Z_ONE_SIDED = 1.6448536269514722   # one-sided 5 %


def _carries(tests: pd.DataFrame, sign: int, p_col: str = "p", alpha: float = 0.05) -> pd.Series:
    """Rows whose inside change goes the finding's way significantly and, when there is an outside, is
    concentrated inside (difference-in-differences one-sided at 5 %)."""
    return (sign * tests["change"] > 0) & (tests[p_col] < alpha) & \
        (tests["z_did"].isna() | (sign * tests["z_did"] > _Z_ONE_SIDED))


def _start_of(den, mk, attribute, polarity, products, regions, end_month: str, sign: int) -> str | None:
    """First month of the change of one segment, by the same change-point scan and shape fit as the shift
    table; None when that segment has no usable split or moves the other way."""
    sm = segment_months(den, mk, attribute, polarity, products, regions)
    sm = sm[sm["month"] <= pd.Timestamp(end_month + "-01")]
    if len(sm) < 2 * Guards().min_side:
        return None
    res = scan_matrix(sm["k"].to_numpy(float)[None, :], sm["n"].to_numpy(float)[None, :], Guards())
    if res["insufficient"][0] or np.sign(res["effect"][0]) != sign:
        return None
    return sm["month"].iloc[int(res["start"][0])].strftime("%Y-%m")


def _segment_of(den, mk, lead: dict, group: list[dict], alpha: float = 0.05) -> tuple[tuple, tuple | None, str]:
    """(products, regions, start month) of a finding, from its lead (lowest q) and the other rows of its group.

    - regions: the first region set, in q order among the group's regional rows (the lead's own first), in
      which the lead products' change is concentrated (`change_tests`); otherwise every region. A longer
      history makes the diluted all-region series the most significant, yet the regions are where one must
      act; and a regional series can be significant only because the change is everywhere.
    - products: every product of the attribute whose own change in those regions, split at the lead's
      start, goes the same way (Holm across the products tried) and is concentrated there. The split and
      regions come from the lead, so for any other product this is a test on fresh data. If none of the
      lead's products passes alone, they stay (their pooled series is what was detected) beside those that do.
    - start: re-estimated on the final segment when it differs from the lead's series (pooling the products
      that share the change dates it better than any one of them)."""
    a, pol, sign = lead["key"], lead["polarity"], 1 if lead["direction"] == "up" else -1
    start, end = lead["start_month"], lead["after_to"]
    lead_products = tuple(sorted(lead["products"]))
    candidates = [lead["regions"]] if lead["regions"] is not None else []
    candidates += [r["regions"] for r in group if r["regions"] is not None]
    regions = None
    for regs in dict.fromkeys(tuple(sorted(r)) for r in candidates):
        t = product_changes(den, mk, a, pol, regs, start, end)
        pooled = change_tests(t.loc[t.index.isin(lead_products)].sum().to_frame().T)
        if _carries(pooled, sign, alpha=alpha).iloc[0]:
            regions = regs
            break
    t = product_changes(den, mk, a, pol, regions, start, end)
    tried = t[t.index.isin(mk.loc[(mk["attribute"] == a) & (mk["polarity"] == pol), "product"].unique())]
    tests = change_tests(tried).assign(p_holm=lambda d: _holm(d["p"]))
    winners = set(tests.index[_carries(tests, sign, "p_holm", alpha)])
    # the finding stays about what was detected: if none of the lead's products passes alone, they stay
    products = tuple(sorted(winners if winners & set(lead_products) else winners | set(lead_products)))
    if (products, regions) != (lead_products, None if lead["regions"] is None else tuple(sorted(lead["regions"]))):
        start = _start_of(den, mk, a, pol, products, regions, end, sign) or start
    return products, regions, start


def consolidate(shifts: pd.DataFrame, close_months: int = 3, den=None, mk=None) -> list[dict]:
    """Significant shifts -> one entry per distinct finding. The lowest-q row leads; rows about the same
    (attribute, polarity, direction) and overlapping products are the same finding. With the cells
    (`den`, `mk`) the finding's products, regions and start month are decided by `_segment_of`, and a product
    is in one finding of a kind only (`_claim`); without
    them the lead's segment is kept, and all-region rows of other products that started within
    `close_months` of an all-region lead join it."""
    sig = shifts[shifts["significant"] & (shifts["metric"] == "share") & shifts["polarity"].isin(POLARITIES)
                 & shifts["direction"].isin(["up", "down"])].sort_values("q")
    used, out = set(), []
    rows = sig.to_dict("records")
    same = lambda r, lead: (r["key"], r["polarity"], r["direction"]) == (lead["key"], lead["polarity"], lead["direction"])
    for i, lead in enumerate(rows):
        if i in used:
            continue
        used.add(i)
        group = [j for j, r in enumerate(rows) if j not in used and same(r, lead)
                 and set(r["products"]) & set(lead["products"])]
        if den is not None and mk is not None:
            products, regions, start = _segment_of(den, mk, lead, [rows[j] for j in group])
            # every row of the same kind about the finding's products is this finding
            group = [j for j, r in enumerate(rows) if j not in used and same(r, lead) and set(r["products"]) & set(products)]
        else:
            products, regions, start = set(lead["products"]), lead["regions"], lead["start_month"]
            if regions is None:
                group += [j for j, r in enumerate(rows) if j not in used and j not in group and same(r, lead)
                          and r["regions"] is None
                          and abs(_months_between(r["start_month"], lead["start_month"])) <= close_months]
                products = products.union(*(rows[j]["products"] for j in group))
        used.update(group)
        f = {"attribute": lead["key"], "polarity": lead["polarity"], "direction": lead["direction"],
             "products": tuple(sorted(products)), "regions": regions, "start_month": start,
             "end_month": lead["after_to"], "q": float(lead["q"]), "series": 1 + len(group)}
        if den is not None and mk is not None:
            f = _claim(den, mk, out, f)
        if f is not None:
            out.append(f)
    return out


def _claim(den, mk, found: list[dict], f: dict) -> dict | None:
    """A product belongs to one finding of a kind (attribute, polarity, direction). A later finding whose
    products reach into an earlier one is the same finding when both cover the same regions (merged and
    dated again on the union: two products' rows may each have dated the shared change on their own
    noise); otherwise it keeps only the products not already claimed (None when nothing is left)."""
    kind = lambda g: (g["attribute"], g["polarity"], g["direction"])
    for prev in found:
        if kind(prev) != kind(f) or not set(prev["products"]) & set(f["products"]):
            continue
        rest = tuple(p for p in f["products"] if p not in prev["products"])
        if prev["regions"] == f["regions"] or not rest:
            prev["series"] += f["series"]
        if prev["regions"] == f["regions"]:
            prev["products"] = tuple(sorted(set(prev["products"]) | set(f["products"])))
            sign = 1 if f["direction"] == "up" else -1
            prev["start_month"] = _start_of(den, mk, prev["attribute"], prev["polarity"], prev["products"],
                                            prev["regions"], prev["end_month"], sign) or prev["start_month"]
            return None
        if not rest:
            return None
        f = {**f, "products": rest}
    return f


def dashboard_link(attribute: str, polarity: str, products, regions, start_month: str | None = None,
                   page: str = "tendencias") -> str:
    """Link to the filtered view; repeated keys for lists (st.query_params.get_all)."""
    params = [("attribute", attribute), ("polarity", polarity)] + [("product", p) for p in products]
    params += [("region", r) for r in (regions or ())]
    if start_month:
        params.append(("from", start_month))
    return f"/{page}?{urlencode(params)}"


def describe(rec: dict, lang: str = "es") -> tuple[str, str]:
    """(title, sentence) of a recommendation, from its numbers only."""
    a, pol, direction = rec["attribute"], rec["polarity"], rec["direction"]
    fix, noun = ACTIONS.get(a, (f"revisar '{a}'", a))
    prods = _join(rec["products"], lang)
    where_ = (_join(rec["regions"], lang) if rec["regions"] else
              ("todas las regiones" if lang == "es" else "all regions"))
    if lang == "es":
        if pol == "negative" and direction == "up":
            title = f"{fix[0].upper() + fix[1:]} en {prods}"
        elif pol == "positive" and direction == "up":
            title = f"Destacar {noun} de {prods}"
        elif pol == "positive" and direction == "down":
            title = f"Reforzar {noun} de {prods}: el elogio se apaga"
        else:
            title = f"Comunicar la mejora en {noun} de {prods}"
        kind = "menciones negativas" if pol == "negative" else "menciones positivas"
        verb = "subieron" if direction == "up" else "bajaron"
        text = (f"{title}: {kind} de '{a}' {verb} de {fmt_pct(rec['rate_before'])} a {fmt_pct(rec['rate_after'])} "
                f"en {where_} desde {month_name(rec['start_month'], 'es')}, impacto {fmt_stars(rec['impact'])} "
                f"estrellas por comentario que lo menciona ({rec['n_after']:,} comentarios desde entonces).")
    else:
        if pol == "negative" and direction == "up":
            title = f"Fix '{a}' in {prods}"
        elif pol == "positive" and direction == "up":
            title = f"Highlight '{a}' of {prods}"
        elif pol == "positive" and direction == "down":
            title = f"Reinforce '{a}' of {prods}: praise is fading"
        else:
            title = f"Communicate the improvement in '{a}' of {prods}"
        kind = "negative mentions" if pol == "negative" else "positive mentions"
        verb = "rose" if direction == "up" else "fell"
        text = (f"{title}: {kind} of '{a}' {verb} from {fmt_pct(rec['rate_before'])} to {fmt_pct(rec['rate_after'])} "
                f"in {where_} since {month_name(rec['start_month'], 'en')}, impact {fmt_stars(rec['impact'])} "
                f"stars per comment mentioning it ({rec['n_after']:,} comments since then).")
    return title, text


_LATER = ("verbatims", "market", "market_text")   # need the store: added by `recommendations`


def recommendations_from(den: pd.DataFrame, mk: pd.DataFrame, shifts: pd.DataFrame, lang: str = "es") -> pd.DataFrame:
    """Rules over the facts: one row per finding (REC_COLUMNS minus _LATER), ranked by priority."""
    rows = []
    for f in consolidate(shifts, den=den, mk=mk):
        nums = segment_numbers(den, mk, f["attribute"], f["polarity"], f["products"], f["regions"],
                               f["start_month"], f["end_month"])
        rec = {**f, **nums}
        rec["audience"] = audience_for(f["polarity"], f["direction"], f["start_month"], f["end_month"])
        impact = 0.0 if np.isnan(nums["impact"]) else abs(nums["impact"])
        rec["priority"] = impact * nums["n_per_month"] * abs(nums["change_pp"]) / 100
        rec["confidence"] = _confidence(f["q"], nums["k_after"], nums["impact_ci_low"], nums["impact_ci_high"])
        rec["title"], rec["text"] = describe(rec, lang)
        rec["link"] = dashboard_link(f["attribute"], f["polarity"], f["products"], f["regions"], f["start_month"])
        rows.append(rec)
    if not rows:
        return pd.DataFrame(columns=[c for c in REC_COLUMNS if c not in _LATER])
    df = pd.DataFrame(rows).sort_values("priority", ascending=False).reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    return df[[c for c in REC_COLUMNS if c not in _LATER]]


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
    df = store.query(sql, prods + regs + [start] + params + [rec["attribute"], rec["polarity"]], kind="insights")
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
        SELECT metric, avg(value) FILTER (WHERE date < ?) AS before, avg(value) FILTER (WHERE date >= ? AND date <= ?)
               AS after
        FROM market_trends WHERE product IN ({', '.join('?' for _ in prods)}) {reg_cond}
        GROUP BY metric HAVING count(*) FILTER (WHERE date < ?) > 0 AND count(*) FILTER (WHERE date >= ?) > 0
        ORDER BY metric""", [start, start, end] + prods + regs + [start, start], kind="insights")
    df["change_pct"] = 100 * (df["after"] / df["before"] - 1)
    return df.to_dict("records")


def market_sentence(items: list[dict], lang: str = "es", min_change_pct: float = 5.0) -> str:
    """'En el mercado, desde entonces: Interés de búsqueda +64.1%, ...' for the metrics that moved."""
    moved = [m for m in items if abs(m["change_pct"]) >= min_change_pct]
    if not moved:
        return ""
    parts = ", ".join(f"{m['metric']} {m['change_pct']:+.1f}%".replace("-", "−") for m in moved)
    return (f"En el mercado, desde entonces: {parts}." if lang == "es" else f"In the market since then: {parts}.")


def product_categories(store) -> dict:
    df = store.query("SELECT product, any_value(category) AS category FROM feedback "
                     "WHERE product IS NOT NULL AND category IS NOT NULL GROUP BY product", kind="insights")
    return dict(zip(df["product"], df["category"]))


def shifts_from_trends(rows: pd.DataFrame, den: pd.DataFrame, category_of: dict | None = None) -> pd.DataFrame:
    """Adapter: a result table of `analysis.insight.trends` (shift_scan / shifts) -> SHIFT_COLUMNS, so its findings
    can feed `recommendations(shifts=...)`. Segment types map to cells: product, region, zone (its regions
    in ZONES), category / category_region (products of that category, from `category_of`), all."""
    import unicodedata

    from analysis.insight.trends import ZONES

    def plain(s: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", s.lower().strip()) if unicodedata.category(c) != "Mn")

    all_products = tuple(sorted(den["product"].unique()))
    regions_all = sorted(den["region"].unique())
    category_of = category_of or {}

    def cells(seg_type: str, seg: str):
        if seg_type == "product":
            return (seg,), None
        if seg_type == "region":
            return all_products, (seg,)
        if seg_type == "zone":
            return all_products, tuple(r for r in regions_all if ZONES.get(plain(r)) == seg)
        if seg_type in ("category", "category_region"):
            cat, _, reg = seg.partition(" · ")
            prods = tuple(sorted(p for p, c in category_of.items() if c == cat))
            return prods, ((reg,) if reg else None)
        return all_products, None

    out = rows.copy()
    mapped = [cells(t, s) for t, s in zip(out["segment_type"], out["segment"])]
    out["products"] = [m[0] for m in mapped]
    out["regions"] = [m[1] for m in mapped]
    return out[out["products"].map(len) > 0].reset_index(drop=True)


def recommendations(store, filters: Filters | None = None, lang: str = "es", shifts: pd.DataFrame | None = None,
                    verbatims: int = 3, today=None, cells=None) -> pd.DataFrame:
    """Ranked recommendations for the store (REC_COLUMNS). `shifts` may come from elsewhere (SHIFT_COLUMNS)."""
    den, mk = cells if cells is not None else load_cells(store, filters)
    if den.empty:
        return pd.DataFrame(columns=REC_COLUMNS)
    if shifts is None:
        shifts = detect_shifts(den, mk, last_date(store, filters), today=today)
    recs = recommendations_from(den, mk, shifts, lang)
    rows = recs.to_dict("records")
    recs["verbatims"] = [rec_verbatims(store, r, verbatims, filters) for r in rows] if rows else pd.Series(dtype=object)
    recs["market"] = [market_evidence(store, r) for r in rows] if rows else pd.Series(dtype=object)
    recs["market_text"] = [market_sentence(m, lang) for m in recs["market"]] if rows else pd.Series(dtype=object)
    return recs


def recommendations_table(recs: pd.DataFrame) -> pd.DataFrame:
    """Flat table for CSV export (lists joined)."""
    out = recs.copy()
    for c in ("products", "regions"):
        out[c] = out[c].map(lambda v: " | ".join(v) if isinstance(v, (tuple, list)) else "todas")
    if "verbatims" in out:
        out["verbatims"] = out["verbatims"].map(lambda v: " || ".join(v) if isinstance(v, list) else "")
    if "market" in out:
        out = out.drop(columns="market")
    return out
