"""Recomendaciones: what to change (producto), what to say (marketing), what to watch (riesgos), each backed
by numbers and comments; what drives the stars; two segments side by side; the report to download."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analysis.insight import cells, drivers, overview, recommendations, report, wording
from dashboard import auth
from dashboard.common import (
    choose_one,
    csv_download,
    current_filters,
    data_version,
    empty_state,
    get_store,
    lang,
    page_header,
    plotly_chart,
    tr,
)
from dashboard.components.readiness import not_yet, not_yet_text, notice

page_header("Recomendaciones", "Recommendations",
            "Acciones para desarrollo de producto y marketing, cada una con sus cifras, comentarios reales "
            "y el enlace a la vista filtrada. Solo cambios estadísticamente significativos en el tiempo.",
            "Actions for product development and marketing, each with its numbers, real comments and a link "
            "to the filtered view. Only statistically significant changes over time.")

AUDIENCES = [("producto", "Producto", "Product"), ("marketing", "Marketing", "Marketing"),
             ("riesgo", "Riesgos", "Risks")]
SEG_DIMS = {"region": ("Región", "Region"), "channel": ("Canal", "Channel"),
            "segment": ("Grupo de edad", "Age group"), "product": ("Producto", "Product")}


@st.cache_data(show_spinner=False)
def _facts(version: str, f, ui_lang: str) -> report.ReportData:
    return report.gather(get_store(), f, ui_lang, with_charts=False)


@st.cache_data(show_spinner=False)
def _segment_values(version: str, column: str) -> list[str]:
    return overview.dimension_values(get_store(), column)


@st.cache_data(show_spinner=False)
def _compare(version: str, f, column: str, a: str, b: str):
    return drivers.compare_segments(cells.segment_counts(get_store(), column, a, b, f), a, b)


@st.cache_data(show_spinner=False, max_entries=6)
def _report_bytes(version: str, f, fmt: str, ui_lang: str) -> bytes:
    return report.render(report.gather(get_store(), f, ui_lang), fmt)


def _card(r: dict) -> None:
    with st.container(border=True):
        st.markdown(f"**{r['rank']}. {wording.md_escape(r['title'])}**")
        st.markdown(wording.md_escape(r["text"]))
        c = st.columns(5)
        c[0].metric(tr("Antes", "Before"), wording.fmt_pct(r["rate_before"]),
                    help=f"{r['k_before']:,} / {r['n_before']:,}")
        c[1].metric(tr("Después", "After"), wording.fmt_pct(r["rate_after"]),
                    delta=f"{r['change_pp']:+.1f} pp",
                    delta_color="inverse" if r["polarity"] == "negative" else "normal",
                    help=f"{r['k_after']:,} / {r['n_after']:,}")
        c[2].metric(tr("Impacto", "Impact"), f"{wording.fmt_stars(r['impact'])} ★",
                    help=tr("estrellas de los comentarios con la mención menos las de los demás, "
                            "en el segmento",
                            "stars of comments with the mention minus the others, in the segment"))
        c[3].metric(tr("Prioridad", "Priority"), f"{r['priority']:.1f}",
                    help=tr("impacto × comentarios por mes × cambio", "impact × comments per month × change"))
        c[4].metric(tr("Confianza", "Confidence"), r["confidence"], help=f"q = {r['q']:.1e}")
        regions = ", ".join(r["regions"]) if r["regions"] else tr("todas las regiones", "all regions")
        products = (", ".join(r["products"]) if len(r["products"])
                    else tr("todos los productos", "all products"))
        st.caption(wording.md_escape(f"{products} · {regions} · {r['start_month']} → {r['end_month']}"))
        if r.get("market_text"):
            st.markdown(":material/storefront: " + wording.md_escape(r["market_text"]))
        for v in r["verbatims"]:
            st.markdown(f"> {wording.md_escape(v)}")
        st.markdown(f"[{tr('Ver en Tendencias', 'Open in Trends')} →]({r['link']})")


if not empty_state():
    f = current_filters()
    # the database file is part of the cache key: two databases can have the same row counts
    version = f"{get_store().path}|{data_version()}"
    data_ready = notice("recomendaciones", "analyze_recomendaciones")
    with st.spinner(tr("Calculando recomendaciones…", "Computing recommendations…")):
        facts = _facts(version, f, lang())
    recs, drv, summary = facts.recs, facts.drivers, facts.summary

    if not facts.n_mentions and not not_yet(data_ready):
        st.info(tr("Aún no hay atributos de sabor analizados: "
                   "analice los comentarios para ver recomendaciones.",
                   "No taste attributes analysed yet: analyse the comments to see recommendations."))
    with st.expander(tr("Resumen ejecutivo", "Executive summary"), expanded=True):
        st.text(summary["text"])
        st.caption(tr("Redactado por el modelo de lenguaje a partir de las cifras (verificadas)."
                      if summary["source"] == "llm" else "Resumen automático a partir de las cifras.",
                      "Written by the language model from the (checked) figures."
                      if summary["source"] == "llm" else "Automatic summary from the figures."))

    st.subheader(tr("Recomendaciones", "Recommendations"))
    if recs.empty and not_yet(data_ready):
        st.warning(not_yet_text(data_ready), icon=":material/hourglass_top:")
    elif recs.empty:
        st.info(tr("Sin cambios significativos en el tiempo con los filtros actuales: no hay recomendaciones "
                   "que respaldar con datos.",
                   "No significant change over time with the current filters: "
                   "no recommendation the data backs."))
    else:
        tabs = st.tabs([f"{tr(es, en)} ({int((recs['audience'] == a).sum())})" for a, es, en in AUDIENCES])
        for tab, (a, _, _) in zip(tabs, AUDIENCES):
            with tab:
                sub = recs[recs["audience"] == a]
                if sub.empty:
                    st.caption(tr("Nada para esta audiencia.", "Nothing for this audience."))
                for r in sub.to_dict("records"):
                    _card(r)
        csv_download(recommendations.recommendations_table(recs), "sabor_recomendaciones.csv", key="dl_recs")

    st.subheader(tr("Qué resta y qué suma estrellas", "What costs and what earns stars"))
    if len(drv):
        d = drv.sort_values("impact")
        labels = d["attribute"] + " (" + d["polarity"].map({"negative": "−", "positive": "+"}) + ")"
        fig = go.Figure(go.Bar(
            x=d["impact"], y=labels, orientation="h",
            marker_color=["#B3261E" if v < 0 else "#2E7D32" for v in d["impact"]],
            error_x={"type": "data", "symmetric": False, "array": d["ci_high"] - d["impact"],
                     "arrayminus": d["impact"] - d["ci_low"]},
            customdata=d[["mentions"]].values,
            hovertemplate="%{y}: %{x:.2f} ★ · %{customdata[0]} " + tr("menciones", "mentions")
                          + "<extra></extra>"))
        fig.update_layout(height=max(300, 22 * len(d)), margin={"t": 10, "b": 10},
                          xaxis_title=tr("estrellas: con la mención − sin ella",
                                         "stars: with the mention − without"))
        plotly_chart(fig, key="drivers_chart", width="stretch")
        csv_download(drv, "sabor_impulsores.csv", key="dl_drivers")

    st.subheader(tr("Comparar dos segmentos", "Compare two segments"))
    dim = st.selectbox(tr("Dimensión", "Dimension"), list(SEG_DIMS), key="seg_dim",
                       format_func=lambda k: tr(*SEG_DIMS[k]),
                       placeholder=choose_one())
    values = _segment_values(version, dim)
    if len(values) < 2:
        st.caption(tr("Hacen falta al menos dos valores distintos en esta dimensión.",
                      "This dimension needs at least two distinct values."))
    else:
        c1, c2 = st.columns(2)
        a = c1.selectbox("A", values, index=0, key=f"seg_a_{dim}",
                         placeholder=choose_one())
        b = c2.selectbox("B", [v for v in values if v != a], index=0, key=f"seg_b_{dim}",
                         placeholder=choose_one())
        cmp = _compare(version, f, dim, a, b)
        sig = cmp[cmp["significant"]]
        st.caption(tr(f"{len(sig)} diferencias significativas (q < 0.05, Benjamini-Hochberg) "
                      f"de {len(cmp)} comparadas.",
                      f"{len(sig)} significant differences (q < 0.05, Benjamini-Hochberg) "
                      f"out of {len(cmp)} compared."))
        show = cmp.assign(**{a: (100 * cmp["share_a"]).round(1), b: (100 * cmp["share_b"]).round(1),
                             "diff_pp": (100 * cmp["diff"]).round(1)})[
            ["attribute", "polarity", a, b, "diff_pp", "q", "significant"]]
        st.dataframe(show, hide_index=True, width="stretch", key="seg_table")
        csv_download(cmp, f"sabor_segmentos_{dim}.csv", key="dl_seg")

    st.subheader(tr("Informe", "Report"))
    fmt = st.radio(tr("Formato", "Format"), list(report.FORMATS), horizontal=True, key="report_fmt",
                   format_func=lambda v: {"md": "Markdown", "html": "HTML", "pdf": "PDF"}[v])
    if auth.can("report") and st.button(tr("Preparar informe", "Prepare report"), key="report_prepare"):
        auth.require("report")
        with st.spinner(tr("Generando informe con gráficos…", "Building the report with charts…")):
            st.session_state["report_ready"] = (version, f, fmt, _report_bytes(version, f, fmt, lang()))
    ready = st.session_state.get("report_ready")
    if ready and ready[:3] == (version, f, fmt):
        mime = {"md": "text/markdown", "html": "text/html", "pdf": "application/pdf"}[fmt]
        st.download_button(tr("Descargar informe", "Download report"), data=ready[3],
                           file_name=f"sabor_informe.{fmt}", mime=mime, key="report_download")
