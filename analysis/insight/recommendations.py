"""Recommendations: rules over the findings, never free model text.

Audience rules: complaints rising -> producto (riesgo if the shift started within the last quarter);
praise rising -> marketing; praise falling -> marketing (riesgo if it started within the last quarter);
complaints falling -> marketing (communicate the fix).
Priority = impact x volume x trend = |stars with the mention - stars without| x comments per month in
the segment x |change in share|: roughly "stars per month at stake".
"""
from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import pandas as pd

from analysis.filters import Filters
from analysis.insight.cells import key_rating_sums, last_date, load_cells, market_evidence, rec_verbatims
from analysis.insight.discoveries import discover
from analysis.insight.findings import confidence, consolidate, detect_shifts, segment_numbers
from analysis.insight.wording import content_headline, describe, describe_content, market_sentence
from analysis.months import months_between
from analysis.stats import mean_diff

REC_COLUMNS = [
    "rank", "kind", "audience", "priority", "confidence", "attribute", "polarity", "direction", "products",
    "regions",
    "start_month", "end_month", "title", "text", "k_before", "n_before", "rate_before", "k_after", "n_after",
    "rate_after", "change_pp", "stars_before", "stars_after", "impact", "impact_ci_low", "impact_ci_high",
    "n_per_month", "months_after", "q", "p", "link", "headline", "verbatims", "market", "market_text"]


AUDIENCES = ("producto", "marketing", "riesgo")
WORSE_STARS = 0.5


def audience_for(polarity: str, direction: str, start_month: str, end_month: str,
                 recent_months: int = 3) -> str:
    recent = months_between(start_month, end_month) < recent_months
    if polarity == "negative" and direction == "up":
        return "riesgo" if recent else "producto"
    if polarity == "positive" and direction == "down" and recent:
        return "riesgo"
    return "marketing"


def dashboard_link(attribute: str, polarity: str, products, regions, start_month: str | None = None,
                   page: str = "tendencias") -> str:
    """Link to the filtered view; repeated keys for lists (st.query_params.get_all)."""
    params = [("attribute", attribute), ("polarity", polarity)] + [("product", p) for p in products]
    params += [("region", r) for r in (regions or ())]
    if start_month:
        params.append(("from", start_month))
    return f"/{page}?{urlencode(params)}"


_LATER = ("verbatims", "market", "market_text")   # need the store: added by `recommendations`


def recommendations_from(den: pd.DataFrame, mk: pd.DataFrame, shifts: pd.DataFrame,
                         lang: str = "es") -> pd.DataFrame:
    """Rules over the facts: one row per finding (REC_COLUMNS minus _LATER), ranked by priority."""
    rows = []
    for f in consolidate(shifts, den=den, mk=mk):
        nums = segment_numbers(den, mk, f["attribute"], f["polarity"], f["products"], f["regions"],
                               f["start_month"], f["end_month"])
        rec = {**f, **nums}
        rec["audience"] = audience_for(f["polarity"], f["direction"], f["start_month"], f["end_month"])
        impact = 0.0 if np.isnan(nums["impact"]) else abs(nums["impact"])
        rec["priority"] = impact * nums["n_per_month"] * abs(nums["change_pp"]) / 100
        rec["confidence"] = confidence(f["q"], nums["k_after"], nums["impact_ci_low"], nums["impact_ci_high"])
        rec["title"], rec["text"] = describe(rec, lang)
        rec["link"] = dashboard_link(f["attribute"], f["polarity"], f["products"], f["regions"],
                                     f["start_month"])
        rec["kind"], rec["headline"] = "taste", ""
        rows.append(rec)
    if not rows:
        return pd.DataFrame(columns=[c for c in REC_COLUMNS if c not in _LATER])
    df = pd.DataFrame(rows).sort_values("priority", ascending=False).reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    return df[[c for c in REC_COLUMNS if c not in _LATER]]


def content_recommendations(store, findings: pd.DataFrame, filters: Filters | None = None,
                            lang: str = "es") -> pd.DataFrame:
    """Two actions (product development, marketing) per content finding: a food family or dish, a topic,
    or a word of the whole data that people write about more or less. Findings explained by another one
    (`explained_by`) are not actions. Words give actions only for the whole data: in one product or region,
    a word alone is too weak a signal to act on."""
    rows = []
    keep = findings[findings["explained_by"].isna()
                    & ((findings["level"] != "term") | (findings["segment_type"] == "all"))]
    for f in keep.to_dict("records"):
        sums = key_rating_sums(store, f, filters)
        _, _, d, lo, hi = mean_diff(sums["s_rating_k"], sums["ss_rating_k"], sums["k_rated"],
                                    sums["s_rating"] - sums["s_rating_k"],
                                    sums["ss_rating"] - sums["ss_rating_k"],
                                    sums["n_rated"] - sums["k_rated"])
        months = months_between(f["start_month"], f["end_month"]) + 1
        nums = {"k_before": int(f["k_before"]), "n_before": int(f["n_before"]), "k_after": int(f["k_after"]),
                "n_after": int(f["n_after"]), "rate_before": float(f["rate_before"]),
                "rate_after": float(f["rate_after"]), "change_pp": 100 * float(f["effect"]),
                "impact": float(d) if sums["k_rated"] >= 10 else np.nan, "impact_ci_low": float(lo),
                "impact_ci_high": float(hi), "months_after": months, "n_per_month": f["n_after"] / months,
                "stars_before": np.nan, "stars_after": np.nan, "q": float(f["q"]), "p": np.nan}
        recent = months < 3
        seg_products = (f["segment"],) if f["segment_type"] == "product" else ()
        seg_regions = (f["segment"],) if f["segment_type"] == "region" else None
        # Rising, but those who write about it rate clearly lower than the rest (half a star or more, beyond
        # chance): a problem to fix, not something to promote.
        worse = f["direction"] == "up" and sums["k_rated"] >= 10 and hi < 0 and d <= -WORSE_STARS
        for audience in (("producto", "riesgo") if worse else ("producto", "marketing")):
            aud = "riesgo" if recent and f["direction"] == "down" and audience == "marketing" else audience
            rec = {**nums, "kind": "content", "audience": aud, "attribute": f["key"], "polarity": "all",
                   "direction": f["direction"], "products": seg_products, "regions": seg_regions,
                   "start_month": f["start_month"], "end_month": f["end_month"],
                   "verbatims": list(f["verbatims"] or []), "market": [], "market_text": ""}
            rec["title"], rec["text"] = describe_content({**f, **nums}, audience, lang, worse)
            rec["headline"] = content_headline(f, lang)
            weight = abs(nums["impact"]) if not np.isnan(nums["impact"]) else 0.25
            rec["priority"] = max(weight, 0.25) * nums["n_per_month"] * abs(nums["change_pp"]) / 100
            rec["confidence"] = confidence(f["q"], nums["k_after"], lo, hi)
            rec["link"] = content_link(f)
            rows.append(rec)
    return pd.DataFrame(rows, columns=REC_COLUMNS)


def content_link(f: dict, page: str = "tendencias") -> str:
    params = [("by", f["dimension"]), ("key", f["key"]), ("from", f["start_month"])]
    if f.get("segment_type", "all") != "all":
        params += [("segment_type", f["segment_type"]), ("segment", f["segment"])]
    return f"/{page}?{urlencode(params)}"


def recommendations(store, filters: Filters | None = None, lang: str = "es",
                    shifts: pd.DataFrame | None = None, verbatims: int = 3, today=None,
                    cells=None, findings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Ranked recommendations for the store (REC_COLUMNS): taste findings from the cells, content
    findings from `analysis.insight.discoveries` (foods, topics, words). `shifts` may come from elsewhere
    (SHIFT_COLUMNS); `findings` from an earlier `discover` call."""
    den, mk = cells if cells is not None else load_cells(store, filters)
    if den.empty:
        return pd.DataFrame(columns=REC_COLUMNS)
    if shifts is None:
        shifts = detect_shifts(den, mk, last_date(store, filters), today=today)
    recs = recommendations_from(den, mk, shifts, lang)
    rows = recs.to_dict("records")
    recs["verbatims"] = ([rec_verbatims(store, r, verbatims, filters) for r in rows] if rows
                         else pd.Series(dtype=object))
    recs["market"] = [market_evidence(store, r) for r in rows] if rows else pd.Series(dtype=object)
    recs["market_text"] = ([market_sentence(m, lang) for m in recs["market"]] if rows
                           else pd.Series(dtype=object))
    if findings is None:
        findings = discover(store, filters, today, n_verbatims=verbatims)
    content = content_recommendations(store, findings, filters, lang)
    if content.empty:
        return recs[REC_COLUMNS]
    out = pd.concat([recs[REC_COLUMNS], content], ignore_index=True) if len(recs) else content
    out = out.sort_values("priority", ascending=False).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


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
