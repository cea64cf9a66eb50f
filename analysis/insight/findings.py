"""Findings: where and when a taste shifted, decided on the cells (`analysis.insight.cells`).

1. *where*: per (attribute, polarity, product) each region's rate is compared with the rest of the
   product's regions over the whole history (two-proportion tests, Benjamini-Hochberg); regions that stand
   out, above or below, form a "hot" region group. Under "no change in time" the split of a cell's
   mentions between months does not depend on its total, so choosing groups by their total does not
   bias the time test that follows.
2. *when*: every (attribute, polarity) series per product (all regions) and per hot group (its products x
   its regions, pooled) is scanned for one change point with `analysis.insight.trends.scan_shifts` (max-|z|
   over splits with a Hunter-Worsley bound, then BH across every series): a series changes or it does not.
3. *one finding*: significant shifts of the same (attribute, polarity, direction) about the same products
   are one finding, led by the lowest q. Its segment is then decided on the cells (`_segment_of`): regional
   only where the change is concentrated (difference-in-differences against the other regions), with every
   product whose own change there goes the same way (Holm across products), dated again on that pooled
   segment; its numbers are recomputed on the final segment with the split at the first month of the shift.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.insight.cells import segment_months
from analysis.insight.trends import Guards, scan_matrix, scan_shifts
from analysis.months import months_between
from analysis.stats import Z95_ONE_SIDED, bh_qvalues, holm, mean_diff, two_proportion

POLARITIES = ("negative", "positive")


# Columns of the shift table the recommendation rules read (a subset of analysis.insight.trends.RESULT_COLS,
# plus `products` / `regions` tuples that say which cells a series pools; None = every region).
SHIFT_COLUMNS = ["key", "polarity", "metric", "segment_type", "segment", "products", "regions", "direction",
                 "start_month", "after_to", "q", "significant"]


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
    specs = [SeriesSpec(a, p, (pr,), None)
             for a, p, pr in fam[["attribute", "polarity", "product"]].itertuples(index=False)]
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
        frames.append(sm[["month", "k", "n"]].assign(attribute=s.attribute, polarity=s.polarity,
                                                     segment=s.name))
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


def segment_numbers(den: pd.DataFrame, mk: pd.DataFrame, attribute: str, polarity: str, products, regions,
                    start_month: str, end_month: str) -> dict:
    """The numbers a recommendation states, from the cells: before = months < start, after = start..end."""
    sm = segment_months(den, mk, attribute, polarity, products, regions)
    start, end = pd.Timestamp(start_month + "-01"), pd.Timestamp(end_month + "-01")
    b, a = (sm[sm["month"] < start].sum(numeric_only=True),
            sm[(sm["month"] >= start) & (sm["month"] <= end)].sum(numeric_only=True))
    _, _, diff, _, _, _, p = two_proportion(b["k"], b["n"], a["k"], a["n"])
    _, _, d, lo, hi = mean_diff(a["s_rating_k"], a["ss_rating_k"], a["k_rated"],
                                   a["s_rating"] - a["s_rating_k"],
                                   a["ss_rating"] - a["ss_rating_k"], a["n_rated"] - a["k_rated"])
    months_after = months_between(start_month, end_month) + 1
    return {
        "k_before": int(b["k"]), "n_before": int(b["n"]),
        "rate_before": float(b["k"] / b["n"]) if b["n"] else np.nan,
        "k_after": int(a["k"]), "n_after": int(a["n"]),
        "rate_after": float(a["k"] / a["n"]) if a["n"] else np.nan,
        "change_pp": float(diff) * 100,
        "stars_before": float(b["s_rating"] / b["n_rated"]) if b["n_rated"] else np.nan,
        "stars_after": float(a["s_rating"] / a["n_rated"]) if a["n_rated"] else np.nan,
        "impact": float(d), "impact_ci_low": float(lo), "impact_ci_high": float(hi),
        "months_after": months_after, "n_per_month": float(a["n"]) / months_after, "p": float(p),
    }


def confidence(q: float, k_after: int, impact_lo: float, impact_hi: float) -> str:
    impact_sure = impact_lo > 0 or impact_hi < 0
    if q < 0.001 and k_after >= 30 and impact_sure:
        return "alta"
    if q < 0.01 and k_after >= 15:
        return "media"
    return "baja"


def product_changes(den: pd.DataFrame, mk: pd.DataFrame, attribute: str, polarity: str, regions,
                    start_month: str, end_month: str) -> pd.DataFrame:
    """Per product: mentions k / comments n before (months < start) and after (start..end), inside `regions`
    (None = every region) and outside them. Columns k_in0, n_in0, k_in1, n_in1, k_out0, n_out0, k_out1,
    n_out1."""
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


def _carries(tests: pd.DataFrame, sign: int, p_col: str = "p", alpha: float = 0.05) -> pd.Series:
    """Rows whose inside change goes the finding's way significantly and, when there is an outside, is
    concentrated inside (difference-in-differences one-sided at 5 %)."""
    return (sign * tests["change"] > 0) & (tests[p_col] < alpha) & \
        (tests["z_did"].isna() | (sign * tests["z_did"] > Z95_ONE_SIDED))


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


def _segment_of(den, mk, lead: dict, group: list[dict],
                alpha: float = 0.05) -> tuple[tuple, tuple | None, str]:
    """(products, regions, start month) of a finding, from its lead (lowest q) and the other rows of its
    group.

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
    tests = change_tests(tried).assign(p_holm=lambda d: holm(d["p"]))
    winners = set(tests.index[_carries(tests, sign, "p_holm", alpha)])
    # the finding stays about what was detected: if none of the lead's products passes alone, they stay
    products = tuple(sorted(winners if winners & set(lead_products) else winners | set(lead_products)))
    if (products, regions) != (lead_products,
                               None if lead["regions"] is None else tuple(sorted(lead["regions"]))):
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
    same = lambda r, lead: ((r["key"], r["polarity"], r["direction"])
                            == (lead["key"], lead["polarity"], lead["direction"]))
    for i, lead in enumerate(rows):
        if i in used:
            continue
        used.add(i)
        group = [j for j, r in enumerate(rows) if j not in used and same(r, lead)
                 and set(r["products"]) & set(lead["products"])]
        if den is not None and mk is not None:
            products, regions, start = _segment_of(den, mk, lead, [rows[j] for j in group])
            # every row of the same kind about the finding's products is this finding
            group = [j for j, r in enumerate(rows) if j not in used and same(r, lead)
                     and set(r["products"]) & set(products)]
        else:
            products, regions, start = set(lead["products"]), lead["regions"], lead["start_month"]
            if regions is None:
                group += [j for j, r in enumerate(rows) if j not in used and j not in group and same(r, lead)
                          and r["regions"] is None
                          and abs(months_between(r["start_month"], lead["start_month"])) <= close_months]
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


def shifts_from_trends(rows: pd.DataFrame, den: pd.DataFrame,
                       category_of: dict | None = None) -> pd.DataFrame:
    """Adapter: a result table of `analysis.insight.trends` (shift_scan / shifts) -> SHIFT_COLUMNS, so its
    findings can feed `recommendations(shifts=...)`. Segment types map to cells: product, region, zone (its
    regions in ZONES), category / category_region (products of that category, from `category_of`), all."""
    import unicodedata

    from analysis.insight.trends import ZONES

    def plain(s: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", s.lower().strip())
                       if unicodedata.category(c) != "Mn")

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
