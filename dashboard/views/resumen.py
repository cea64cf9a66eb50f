"""Resumen: KPIs, comments and rating per month, by product and region; click any bar for the comments."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analysis.insight import overview
from dashboard.common import (
    csv_download,
    current_filters,
    data_version,
    empty_state,
    fmt_num,
    fmt_pct,
    get_store,
    page_header,
    plotly_chart,
    tr,
)
from dashboard.components.readiness import notice

page_header("Resumen", "Overview",
            "Lo que dicen los consumidores, mes a mes. Haga clic en una barra para leer los comentarios.",
            "What consumers say, month by month. Click a bar to read the comments.")

if not empty_state():
    store = get_store()
    f = current_filters()
    version = data_version()

    @st.cache_data(show_spinner=False)
    def _facts(version: str, f):
        store = get_store()
        return (overview.kpis(store, f), overview.monthly(store, f),
                overview.by_dimension(store, "product", f), overview.by_dimension(store, "region", f))

    k, monthly, by_product, by_region = _facts(version, f)
    c = st.columns(5)
    c[0].metric(tr("Comentarios", "Comments"), fmt_num(k["comments"]))
    c[1].metric(tr("Calificación media", "Average rating"),
                f"{fmt_num(k['avg_rating'], 2)} ★" if k["avg_rating"] is not None else "–",
                help=tr(f"sobre {fmt_num(k['rated'])} comentarios con calificación",
                        f"over {fmt_num(k['rated'])} rated comments"))
    c[2].metric(tr("Negativos", "Negative"), fmt_pct(k["neg_share"]),
                help=tr(f"según el modelo, sobre {fmt_num(k['analysed'])} comentarios analizados",
                        f"by the model, over {fmt_num(k['analysed'])} analysed comments"))
    c[3].metric(tr("Productos", "Products"), k["products"])
    c[4].metric(tr("Regiones", "Regions"), k["regions"])
    if k["date_min"]:
        st.caption(tr(f"Del {k['date_min']:%d/%m/%Y} al {k['date_max']:%d/%m/%Y}",
                      f"From {k['date_min']:%Y-%m-%d} to {k['date_max']:%Y-%m-%d}"))
    notice("resumen", "analyze_resumen")

    st.subheader(tr("Comentarios y calificación por mes", "Comments and rating per month"))
    if monthly.empty:
        st.info(tr("Ningún comentario con fecha en este filtro.", "No dated comment in this filter."))
        sel_month = None
    else:
        fig = go.Figure()
        fig.add_bar(x=monthly["month"], y=monthly["comments"], name=tr("Comentarios", "Comments"),
                    marker_color="#E8A598")
        fig.add_scatter(x=monthly["month"], y=monthly["avg_rating"],
                        name=tr("Calificación media", "Average rating"),
                        yaxis="y2", mode="lines+markers", line_color="#B3261E")
        fig.update_layout(yaxis=dict(title=tr("comentarios", "comments")),
                          yaxis2=dict(title="★", overlaying="y", side="right", range=[1, 5]),
                          legend=dict(orientation="h", y=1.1), height=360, margin=dict(t=30, b=10),
                          clickmode="event+select")
        event = plotly_chart(fig, on_select="rerun", selection_mode="points", key="monthly_chart",
                                width="stretch")
        points = (event or {}).get("selection", {}).get("points", []) if event else []
        sel_month = points[0].get("x") if points else None
        csv_download(monthly, "sabor_mensual.csv", key="dl_monthly")

    left, right = st.columns(2)
    sel = {}
    for col, (dim, df, title_es, title_en) in zip(
            (left, right), (("product", by_product, "Por producto", "By product"),
                            ("region", by_region, "Por región", "By region"))):
        with col:
            st.subheader(tr(title_es, title_en))
            if df.empty:
                continue
            d = df.sort_values("comments")
            fig = go.Figure(go.Bar(x=d["comments"], y=d[dim], orientation="h", marker_color="#7A9E7E",
                                   customdata=d[["avg_rating"]].round(2).values,
                                   hovertemplate="%{y}: %{x} · %{customdata[0]} ★<extra></extra>"))
            fig.update_layout(height=max(260, 28 * len(d)), margin=dict(t=10, b=10), clickmode="event+select")
            ev = plotly_chart(fig, on_select="rerun", selection_mode="points", key=f"bar_{dim}",
                                 width="stretch")
            pts = (ev or {}).get("selection", {}).get("points", []) if ev else []
            if pts:
                sel[dim] = pts[0].get("y")
            csv_download(df, f"sabor_por_{dim}.csv", key=f"dl_{dim}")

    # Every number above can be traced: the comments behind the clicked month / product / region.
    if sel_month or sel:
        label = " · ".join(([str(sel_month)[:7]] if sel_month else []) + [str(v) for v in sel.values()])
        st.subheader(tr(f"Comentarios detrás de: {label}", f"Comments behind: {label}"))
        rows = overview.verbatims(store, f, month=sel_month, **sel)
        st.dataframe(rows, hide_index=True, width="stretch")
        csv_download(rows, "sabor_comentarios.csv", key="dl_verbatims")
