"""Tendencias: which tastes rise and fall, where and since when, with significance; click any point of
a chart to read the comments behind it; market series beside a shift."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from analysis.insight import market_align, topics, trends, wording
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

page_header("Tendencias", "Trends",
            "Gustos que suben o bajan, dónde y desde cuándo. Solo se marcan como cambio los que superan la "
            "prueba estadística (q < 0,05). Haga clic en un punto para leer los comentarios.",
            "Tastes rising or falling, where and since when. Only changes that pass the statistical test "
            "(q < 0.05) are flagged. Click a point to read the comments.")

# Dimensions whose shares come from the model (scoring, then topics): partial while comments wait for it.
NEEDS_MODEL = {"attribute", "mention", "topic"}
BY_LABEL = {"attribute": ("Atributo de sabor", "Taste attribute"), "mention": ("Alimentos", "Foods"),
            "topic": ("Tema", "Topic"), "term": ("Palabras", "Words"), "product": ("Producto", "Product"),
            "region": ("Región", "Region")}


def describe(row) -> str:
    return wording.series_label(row, lang())


@st.cache_data(show_spinner=False, max_entries=32)
def _view(version: str, f, by: str, period: str, window: int, baseline: int,
          ui_lang: str) -> trends.TrendView:
    return trends.trend_view(get_store(), by, f, period, window, baseline, lang=ui_lang)


def small_multiples(counts: pd.DataFrame, top: pd.DataFrame, partial, period: str,
                    narrow: bool = False) -> go.Figure:
    """Up to three panels a row; `narrow` (a phone) one panel a row, with fewer dates on the axis."""
    n = len(top)
    cols = 1 if narrow else 3 if n > 2 else n
    rows = (n + cols - 1) // cols
    seg_words = wording.SEGMENT_TYPE_WORDS
    titles = [describe(r).replace(" · " + tr(*seg_words[r["segment_type"]]), "<br>")
              if r["segment_type"] != "all" else describe(r) for _, r in top.iterrows()]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        vertical_spacing=(0.5 / rows if narrow else 0.18) if rows > 1 else 0.1,
                        horizontal_spacing=0.06)
    for i, (_, r) in enumerate(top.iterrows()):
        s = counts[(counts[trends.SERIES_COLS] == r[trends.SERIES_COLS]).all(axis=1)].sort_values("period")
        share = (s["k"] / s["n"].where(s["n"] > 0) * 100).round(2)
        is_partial = (s["period"] == partial) if partial is not None else pd.Series(False, index=s.index)
        color = "#B3261E" if r["direction"] == "up" else "#2E6B8A"
        fig.add_scatter(x=s["period"], y=share, mode="lines+markers", name=describe(r), showlegend=False,
                        line={"color": color}, customdata=[[i]] * len(s),
                        marker={"symbol": ["circle-open" if p else "circle" for p in is_partial], "size": 7},
                        hovertemplate="%{x|%Y-%m}: %{y:.1f}%<extra></extra>",
                        row=i // cols + 1, col=i % cols + 1)
        fig.add_vline(x=pd.Timestamp(r["start_month"] + "-01").timestamp() * 1000, line_dash="dot",
                      line_color="#666", row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(height=(230 if narrow else 260) * rows + 40, clickmode="event+select",
                      margin={"t": 50, "b": 10, "l": 10, "r": 10})
    fig.update_annotations(font_size=11)
    fig.update_yaxes(ticksuffix="%")
    if narrow:
        fig.update_xaxes(nticks=4, tickangle=0)
    return fig


def _deep_link() -> None:
    """A link from a recommendation or the report (?by=mention&key=mariscos…) opens on that series."""
    qp = st.query_params
    by = qp.get("by") or ("attribute" if qp.get("attribute") else None)
    if by in BY_LABEL and st.session_state.get("tr_link") != dict(qp):
        st.session_state["tr_link"] = dict(qp)
        st.session_state["tr_by"] = by
        st.session_state["tr_focus"] = qp.get("key") or qp.get("attribute")


def _ensure_topics(store) -> None:
    """Topic trends need topics for every comment: new comments join their nearest topic at once; the
    first fit (minutes on a large file) runs when the user asks for it, with its progress."""
    if topics.current_run(store) is None:
        st.info(tr("Aún no hay temas. Calcúlelos aquí (o en la página Temas): con miles de comentarios "
                   "tarda unos minutos la primera vez.",
                   "No topics yet. Fit them here (or on the Topics page): with thousands of comments the "
                   "first run takes a few minutes."))
        if not st.button(tr("Calcular temas", "Fit topics"), key="tr_fit_topics"):
            st.stop()
    with st.status(tr("Preparando los temas…", "Preparing the topics…"), expanded=False) as status:
        bar = st.progress(0.0)
        state = topics.ensure_current(
            store, progress=lambda msg, frac: bar.progress(min(max(frac, 0.0), 1.0), text=msg))
        if state["status"] == "too_few":
            status.update(state="error", label=tr(
                f"Hay {state['comments']} comentarios; se necesitan al menos {state['needed']} para temas.",
                f"There are {state['comments']} comments; topics need at least {state['needed']}."))
            st.stop()
        status.update(state="complete", label=tr("Temas al día", "Topics up to date"))
    if state["status"] == "fitted" or state.get("assigned"):
        st.cache_data.clear()


if not empty_state():
    store = get_store()
    f = current_filters()
    ready = notice("tendencias", "analyze_tendencias")
    _deep_link()
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    by = c1.radio(tr("Analizar por", "Analyse by"), list(BY_LABEL), horizontal=True, key="tr_by",
                  format_func=lambda v: tr(*BY_LABEL[v]))
    period = c2.radio(tr("Periodo", "Period"), ["month", "quarter"], horizontal=True, key="tr_period",
                      format_func=lambda v: (tr("mes", "month") if v == "month"
                                             else tr("trimestre", "quarter")))
    window = c3.number_input(tr("Últimos meses", "Latest months"), 1, 12, 3, key="tr_window")
    baseline = c4.number_input(tr("Meses de base", "Baseline months"), 1, 24, 6, key="tr_baseline")

    partial_results = by in NEEDS_MODEL and not_yet(ready, by)
    if by == "topic" and ready.running:
        # the background job fits or extends the topics after scoring: never a second fit at once
        st.info(tr("Los temas se calcularán al terminar el análisis en curso.",
                   "Topics will be computed when the running analysis ends."))
        st.stop()
    if by == "topic":
        _ensure_topics(store)
    view = _view(data_version(), f, by, period, int(window), int(baseline), lang())
    focus = st.session_state.get("tr_focus")
    if focus is not None and focus in set(view.scan["key"]):
        # the linked series leads the charts, whatever its rank
        linked = view.scan[view.scan["key"] == focus].head(1)
        view.top = pd.concat([linked, view.top[view.top["key"] != focus]]).head(6)
    counts, scan, recent, partial, top = view.counts, view.scan, view.recent, view.partial, view.top
    if counts.empty and partial_results:
        st.warning(not_yet_text(ready), icon=":material/hourglass_top:")
        st.stop()
    if counts.empty:
        msg = {"attribute": tr("Aún no hay atributos de sabor: analice los comentarios (Resumen → Analizar).",
                               "No taste attributes yet: analyse the comments (Overview → Analyse)."),
               "mention": tr("Aún no hay menciones de alimentos: analice los comentarios "
                             "(Resumen → Analizar).",
                             "No food mentions yet: analyse the comments (Overview → Analyse)."),
               "topic": tr("Aún no hay temas: calcúlelos en la página Temas.",
                           "No topics yet: fit them on the Topics page.")}.get(
            by, tr("No hay comentarios con fecha en este filtro.", "No dated comments in this filter."))
        st.info(msg)
        st.stop()
    if partial is not None:
        st.caption(tr(f"El periodo {partial:%Y-%m} está incompleto: se muestra con marcador hueco "
                      "y no entra en las pruebas (medio mes no es una caída).",
                      f"Period {partial:%Y-%m} is incomplete: it is drawn hollow and left out of the tests "
                      "(half a month is not a drop)."))

    if partial_results:
        st.warning(not_yet_text(ready), icon=":material/hourglass_top:")
    if view.headlines:
        st.success("  \n".join(f"**{h}**" for h in view.headlines[:3]))
    elif not partial_results:
        st.info(tr("Ningún cambio supera la prueba estadística con estos filtros.",
                   "No change passes the statistical test with these filters."))

    tab_hist, tab_recent = st.tabs([tr("Desde cuándo (historia completa)", "Since when (full history)"),
                                    tr(f"Últimos {window} meses vs {baseline} anteriores",
                                       f"Latest {window} months vs {baseline} before")])
    for tab, res, name in ((tab_hist, scan, "historia"), (tab_recent, recent, "recientes")):
        with tab:
            ok = res[res["significant"]]
            left, right = st.columns(2)
            for col, direction, es, en in ((left, "up", "Emergentes ↑", "Emerging ↑"),
                                           (right, "down", "En declive ↓", "Declining ↓")):
                with col:
                    st.subheader(tr(es, en))
                    d = ok[ok["direction"] == direction]
                    d = d.reindex(d["effect"].abs().sort_values(ascending=False).index)
                    if d.empty:
                        st.caption(tr("Aún no analizado.", "Not analysed yet.") if partial_results
                                   else tr("Ninguno significativo.", "None significant."))
                        continue
                    st.dataframe(wording.shift_table(d, lang()), hide_index=True, width="stretch",
                                 column_config={"p": st.column_config.NumberColumn(format="%.1e"),
                                                "q": st.column_config.NumberColumn(format="%.1e")})
                    csv_download(d, f"sabor_{name}_{direction}.csv", key=f"dl_{name}_{direction}")
            rest = res[~res["significant"]]
            with st.expander(tr(f"Todas las series probadas ({len(res):,}; "
                                f"{int((res['status'] == 'insufficient data').sum()):,} "
                                "con datos insuficientes)",
                                f"Every series tested ({len(res):,}; "
                                f"{int((res['status'] == 'insufficient data').sum()):,} "
                                "with insufficient data)")):
                st.dataframe(wording.shift_table(rest.head(500), lang()), hide_index=True, width="stretch")
                csv_download(res, f"sabor_{name}_todas.csv", key=f"dl_{name}_all")

    # ---- small multiples of the top shifts; click a point for its comments -------------------------
    st.subheader(tr("Los cambios más fuertes, mes a mes", "The strongest changes, month by month"))
    sel_row, sel_month = None, None
    if top.empty:
        st.caption(tr("Aún no analizado: sin cambios que graficar todavía.",
                      "Not analysed yet: no change to chart so far.") if partial_results
                   else tr("Sin cambios significativos que graficar.", "No significant change to chart."))
    else:
        # two drawings of the same panels: CSS shows the one-column one on a phone (common.py, st-key-*)
        with st.container(key="tr_wide"):
            event = plotly_chart(small_multiples(counts, top, partial, period), on_select="rerun",
                                 selection_mode="points", key="tr_multiples", width="stretch")
        with st.container(key="tr_narrow"):
            event_narrow = plotly_chart(small_multiples(counts, top, partial, period, narrow=True),
                                        on_select="rerun", selection_mode="points", key="tr_multiples_narrow",
                                        width="stretch")
        pts = [p for ev in (event, event_narrow) for p in ((ev or {}).get("selection", {}).get("points", [])
                                                           if ev else [])]
        if pts:
            cd = pts[0].get("customdata")
            idx = int(cd[0]) if isinstance(cd, (list, tuple)) and cd else int(pts[0].get("curve_number", 0))
            sel_row, sel_month = top.iloc[idx], str(pts[0].get("x"))[:10]
        st.session_state["tr_drill"] = (sel_row.to_dict(), sel_month) if sel_row is not None else \
            st.session_state.get("tr_drill")
        csv_download(counts.merge(top[trends.SERIES_COLS], on=trends.SERIES_COLS)
                     .assign(share=lambda d: d["k"] / d["n"]), "sabor_series_top.csv", key="dl_series_top")

    # ---- drill-down ------------------------------------------------------------------------------
    drill = st.session_state.get("tr_drill")
    if drill and (top.empty or not (top[trends.SERIES_COLS] == pd.Series(drill[0])[trends.SERIES_COLS]).all(
            axis=1).any()):
        drill = None
    if drill:
        row, month = drill
        st.subheader(tr(f"Comentarios detrás de: {describe(row)} · {month[:7]}",
                        f"Comments behind: {describe(row)} · {month[:7]}"))
        vb = trends.verbatims(store, row["dimension"], row["key"], row["polarity"], row["metric"],
                              row["segment_type"], row["segment"], month, f, period)
        st.dataframe(vb, hide_index=True, width="stretch")
        csv_download(vb, "sabor_comentarios_tendencia.csv", key="dl_tr_verbatims")

    # ---- market overlay ----------------------------------------------------------------------------
    metrics_avail = market_align.market_metrics(store)
    st.subheader(tr("Frente al mercado", "Against the market"))
    if not metrics_avail:
        st.caption(tr("No hay series de mercado cargadas (Cargar datos → tendencias de mercado).",
                      "No market series loaded (Load data → market trends)."))
    elif top.empty:
        st.caption(tr("Elija un cambio significativo para compararlo con el mercado.",
                      "Pick a significant change to compare it with the market."))
    else:
        m1, m2 = st.columns(2)
        pick = m1.selectbox(tr("Cambio", "Change"), range(len(top)), key="tr_mk_shift",
                            format_func=lambda i: describe(top.iloc[i]),
                            placeholder=choose_one())
        metric = m2.selectbox(tr("Serie de mercado", "Market series"), metrics_avail, key="tr_mk_metric",
                              placeholder=choose_one())
        al = market_align.align_shift(store, top.iloc[pick].to_dict(), metric, f, lang=lang())
        ch = al["chart"]
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        fig.add_scatter(x=ch["month"], y=ch["feedback"] * 100, name=tr("comentarios (%)", "comments (%)"),
                        mode="lines+markers", line_color="#B3261E", secondary_y=False)
        fig.add_scatter(x=ch["month"], y=ch["market"], name=metric, mode="lines", line_color="#7A9E7E",
                        secondary_y=True)
        fig.update_layout(height=320, margin={"t": 30, "b": 10}, legend={"orientation": "h", "y": 1.12})
        plotly_chart(fig, key="tr_market", width="stretch")
        best = al["best"]
        if best is not None:
            lag = int(best["lag"])
            when = (tr(f"el mercado se adelanta {lag} mes(es)", f"the market leads by {lag} month(s)")
                    if lag > 0
                    else tr(f"los comentarios se adelantan {-lag} mes(es)",
                            f"comments lead by {-lag} month(s)")
                    if lag < 0 else tr("sin desfase", "no lag"))
            st.markdown(tr(f"Mejor correlación de cambios mensuales: **r = {best['r']:.2f}**, {when}, sobre "
                           f"**{int(best['months'])} meses**.",
                           f"Best correlation of monthly changes: **r = {best['r']:.2f}**, {when}, over "
                           f"**{int(best['months'])} months**."))
        for c in al["caveats"]:
            st.caption("⚠ " + c)
        tbl = al["table"].rename(columns={"lag": tr("desfase (meses)", "lag (months)"),
                                          "kind": tr("tipo", "kind"),
                                          "months": tr("meses", "months")})
        st.dataframe(tbl, hide_index=True, width="stretch")
        csv_download(al["table"], "sabor_mercado_desfases.csv", key="dl_tr_market")
