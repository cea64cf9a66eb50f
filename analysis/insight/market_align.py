"""Feedback shifts beside market trends: monthly alignment and lead/lag correlation, with caveats.

A lag of +L means the market series L months EARLIER moves with feedback now (the market leads);
-L means feedback leads the market. Correlations are reported on levels and on month-to-month
changes: two series that both trend over time correlate in levels whatever their relation, so the
change correlation is the one to trust, and both come with the number of months behind them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import pearsonr

from analysis.filters import Filters
from analysis.insight import trends

MIN_MONTHS = 6          # fewer overlapping months: no correlation is reported at all
RELIABLE_MONTHS = 18    # below this, say the estimate is fragile


def market_metrics(store) -> list[str]:
    return store.query("SELECT DISTINCT metric FROM market_trends ORDER BY 1")["metric"].tolist()


def _market_scope(store, shift: dict) -> tuple[list[str], list[str]]:
    """(products, regions) of the market rows that match a shift's key and segment."""
    products, regions = [], []
    dim, seg_type, seg = shift.get("dimension"), shift.get("segment_type", "all"), shift.get("segment")
    if dim == "product":
        products = [shift["key"]]
    if dim == "region":
        regions = [shift["key"]]
    if seg_type == "product":
        products = [seg]
    elif seg_type == "region":
        regions = [seg]
    elif seg_type == "zone":
        regions = store.query(f"SELECT DISTINCT region FROM feedback WHERE {trends.zone_sql('region')} = ?",
                              [seg])["region"].tolist()
    if seg_type in ("category", "category_region"):
        cat = seg.split(" · ")[0]
        products = store.query("SELECT DISTINCT product FROM feedback "
                               "WHERE category = ? AND product IS NOT NULL",
                               [cat])["product"].tolist()
        if seg_type == "category_region":
            regions = [seg.split(" · ", 1)[1]]
    return products, regions


def market_series(store, metric: str, products: list[str] | None = None, regions: list[str] | None = None,
                  categories: list[str] | None = None) -> pd.Series:
    """Monthly mean of one market metric over the matching rows (all rows when a list is empty)."""
    conds, params = ["metric = ?"], [metric]
    for col, vals in (("product", products), ("region", regions), ("category", categories)):
        if vals:
            conds.append(f"{col} IN ({', '.join('?' for _ in vals)})")
            params.extend(vals)
    df = store.query(f"""SELECT CAST(date_trunc('month', date) AS DATE) AS month, avg(value) AS value
                         FROM market_trends WHERE {' AND '.join(conds)} GROUP BY 1 ORDER BY 1""", params,
                     kind="market")
    return pd.Series(df["value"].to_numpy(), index=pd.to_datetime(df["month"]), name=metric, dtype=float)


def lead_lag(feedback: pd.Series, market: pd.Series, max_lag: int = 3) -> pd.DataFrame:
    """Correlation of feedback(t) with market(t - lag) for lag in -max_lag..max_lag, on levels and on
    month-to-month changes, with the months each value rests on."""
    both = pd.concat({"fb": feedback, "mk": market}, axis=1, sort=True)
    idx = pd.date_range(both.index.min(), both.index.max(), freq="MS") if len(both) else both.index
    both = both.reindex(idx)
    rows = []
    for lag in range(-max_lag, max_lag + 1):       # a handful of lags, not a row loop
        fb, mk = both["fb"], both["mk"].shift(lag)
        for kind, a, b in (("nivel", fb, mk), ("cambio", fb.diff(), mk.diff())):
            ok = a.notna() & b.notna()
            n = int(ok.sum())
            if n >= MIN_MONTHS and a[ok].std() > 0 and b[ok].std() > 0:
                r, p = pearsonr(a[ok], b[ok])
            else:
                r, p = np.nan, np.nan
            rows.append({"lag": lag, "kind": kind, "r": float(r), "p": float(p), "months": n})
    return pd.DataFrame(rows)


def caveats(table: pd.DataFrame, lang: str = "es") -> list[str]:
    out = []
    n = int(table["months"].max()) if len(table) else 0
    es = lang == "es"
    if n < MIN_MONTHS:
        return [f"Solo {n} meses en común: no se calcula correlación." if es else
                f"Only {n} months in common: no correlation computed."]
    if n < RELIABLE_MONTHS:
        out.append(f"Solo {n} meses en común: la correlación es frágil." if es else
                   f"Only {n} months in common: the correlation is fragile.")
    out.append("Correlación no es causalidad: ambas series pueden responder a un tercer factor (estación, "
               "precio, distribución)." if es else
               "Correlation is not causation: both series may follow a third factor (season, price, "
               "distribution).")
    lv = table[table["kind"] == "nivel"]["r"].abs().max()
    ch = table[table["kind"] == "cambio"]["r"].abs().max()
    if pd.notna(lv) and (pd.isna(ch) or lv - ch > 0.3):
        out.append("En niveles la correlación es mucho mayor que en cambios mensuales: probablemente solo "
                   "comparten tendencia." if es else
                   "Levels correlate much more than monthly changes: they probably only share a trend.")
    out.append("Se prueban varios desfases: el mejor de 7 puede ser alto por azar." if es else
               "Several lags are tried: the best of 7 may be high by chance.")
    return out


def best_lag(table: pd.DataFrame, kind: str = "cambio") -> dict | None:
    t = table[(table["kind"] == kind) & table["r"].notna()]
    if t.empty:
        return None
    row = t.loc[t["r"].abs().idxmax()]
    return row.to_dict()


def feedback_series(store, shift: dict, filters: Filters | None = None) -> pd.Series:
    """The monthly share behind one shift row (complete months; the partial one is dropped)."""
    df = trends.over_time(store, shift["dimension"], filters, "month", (shift.get("segment_type", "all"),))
    sel = df[(df["key"] == shift["key"]) & (df["polarity"] == shift["polarity"])
             & (df["metric"] == shift["metric"]) & (df["segment"] == shift["segment"]) & ~df["partial"]]
    return pd.Series(sel["share"].to_numpy(), index=pd.to_datetime(sel["period"]), dtype=float,
                     name="feedback")


def align_shift(store, shift: dict, metric: str, filters: Filters | None = None, max_lag: int = 3,
                lang: str = "es") -> dict:
    """Everything the market overlay shows for one shift and one market metric."""
    products, regions = _market_scope(store, shift)
    mk = market_series(store, metric, products, regions)
    fb = feedback_series(store, shift, filters)
    table = lead_lag(fb, mk, max_lag)
    chart = pd.concat({"feedback": fb, "market": mk}, axis=1, sort=True).rename_axis("month").reset_index()
    return {"table": table, "chart": chart, "best": best_lag(table), "caveats": caveats(table, lang),
                "products": products, "regions": regions,
                "months": int(table["months"].max()) if len(table) else 0}


def market_rows(store, metrics: list[str] | None = None, products: list[str] | None = None,
                categories: list[str] | None = None, regions: list[str] | None = None, date_from=None,
                date_to=None, limit: int = 100, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Loaded market rows matching the lists (any value of each; all rows when a list is empty) and the
    dates, oldest first, one page of them, and how many match in all."""
    conds, params = ["TRUE"], []
    for col, vals in (("metric", metrics), ("product", products), ("category", categories),
                      ("region", regions)):
        if vals:
            conds.append(f"{col} IN ({', '.join('?' for _ in vals)})")
            params.extend(vals)
    if date_from:
        conds.append("date >= ?")
        params.append(date_from)
    if date_to:
        conds.append("date <= ?")
        params.append(date_to)
    cond = " AND ".join(conds)
    total = int(store.scalar(f"SELECT count(*) FROM market_trends WHERE {cond}", params))
    rows = store.query(f"""SELECT date, product, category, region, metric, value, upload_id FROM market_trends
                           WHERE {cond} ORDER BY date, metric, product NULLS FIRST, category NULLS FIRST,
                                 region NULLS FIRST
                           LIMIT {int(limit)} OFFSET {int(offset)}""", params, kind="market")
    return rows, total
