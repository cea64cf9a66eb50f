"""Temas: what people talk about (BERTopic), how each topic feels and moves over time; re-fit on the
current filter as a new run (the previous runs stay and can be made current again)."""
from __future__ import annotations

import json

import plotly.graph_objects as go
import streamlit as st

from analysis.insight import topics, trends, wording
from analysis.store import audit, set_current_topic_run, topic_runs
from dashboard import auth
from dashboard.common import (
    choose_one,
    csv_download,
    current_filters,
    data_version,
    empty_state,
    fmt_num,
    get_store,
    page_header,
    plotly_chart,
    tr,
)
from dashboard.components.readiness import notice

page_header("Temas", "Topics",
            "Temas encontrados automáticamente en los comentarios (BERTopic). "
            "Haga clic en una barra para ver sus palabras clave y comentarios representativos.",
            "Topics found automatically in the comments (BERTopic). Click a bar to see its keywords and "
            "representative comments.")


def refit(store, f) -> None:
    """Fit on the current filter with visible progress; the new run becomes current, old ones stay."""
    with st.status(tr("Calculando temas…", "Fitting topics…"), expanded=True) as status:
        bar = st.progress(0.0)
        note = st.empty()

        def progress(msg: str, frac: float) -> None:
            bar.progress(min(max(frac, 0.0), 1.0))
            note.caption(msg)

        try:
            out = topics.refit_topics(store, f, progress=progress)
        except ValueError as e:
            status.update(label=str(e), state="error")
            return
        status.update(state="complete", label=tr(
            f"{out['n_topics']} temas en {out['n_docs']:,} comentarios · "
            f"sin tema: {out['outlier_share']:.1%}",
            f"{out['n_topics']} topics in {out['n_docs']:,} comments · "
            f"unassigned: {out['outlier_share']:.1%}"))
    st.cache_data.clear()


@st.cache_data(show_spinner=False, max_entries=16)
def _summary(version: str, f):
    store = get_store()
    return topics.topic_summary(store, f), trends.over_time(store, "topic", f, "month")


if not empty_state():
    store = get_store()
    f = current_filters()
    ready = notice("temas", "analyze_temas")
    runs = topic_runs(store)
    current = runs[runs["is_current"]]
    top_l, top_r = st.columns([3, 1])
    with top_r:
        label = tr("Calcular temas con los filtros actuales", "Fit topics on the current filters")
        if auth.can("analyze") and st.button(label, key="refit_topics",
                                             type="primary" if current.empty else "secondary"):
            auth.require("analyze")
            refit(store, f)
            audit(store, auth.actor(), "topics.fit", {"filters": str(f)})
            runs = topic_runs(store)
            current = runs[runs["is_current"]]
    if current.empty and ready.running:
        with top_l:
            st.info(tr("Los temas se calcularán automáticamente al terminar el análisis en curso.",
                       "Topics will be computed automatically when the running analysis ends."),
                    icon=":material/hourglass_top:")
        st.stop()
    if current.empty:
        with top_l:
            st.info(tr("Aún no se han calculado temas. Pulse el botón: con miles de comentarios tarda unos "
                       "minutos la primera vez (los vectores quedan en caché).",
                       "No topics yet. Press the button: with thousands of comments the first run "
                       "takes a few minutes (vectors are cached)."))
        st.stop()
    run = current.iloc[0]
    params = json.loads(run["params"]) if isinstance(run["params"], str) else (run["params"] or {})
    with top_l:
        st.caption(tr(
            f"Ejecución {run['run_id']} · {int(run['n_docs']):,} comentarios · "
            f"{int(run['n_topics'])} temas · "
            f"sin tema: {run['outlier_share']:.1%} (antes de reasignar: "
            f"{params.get('outlier_share_clustered', float('nan')):.1%}) · {run['embedding_model']}",
            f"Run {run['run_id']} · {int(run['n_docs']):,} comments · {int(run['n_topics'])} topics · "
            f"unassigned: {run['outlier_share']:.1%} (before reassignment: "
            f"{params.get('outlier_share_clustered', float('nan')):.1%}) · {run['embedding_model']}"))
    if ready.topics_pending and ready.topics_fitted:
        with top_l:
            st.warning(tr(f"{fmt_num(ready.topics_pending)} comentarios aún no tienen tema: se asignan al "
                          "tema más cercano al terminar el análisis (o al pulsar «Calcular temas»).",
                          f"{fmt_num(ready.topics_pending)} comments have no topic yet: they join their "
                          "nearest topic when the analysis ends (or on «Fit topics»)."),
                       icon=":material/hourglass_top:")
    if len(runs) > 1:
        with st.expander(tr(f"Ejecuciones anteriores ({len(runs) - 1})", f"Previous runs ({len(runs) - 1})")):
            st.dataframe(runs.drop(columns=["params"]), hide_index=True, width="stretch")
            other = st.selectbox(tr("Usar otra ejecución", "Use another run"),
                                 runs.loc[~runs["is_current"], "run_id"].tolist(), key="topic_run_pick",
                                 placeholder=choose_one())
            if auth.can("analyze") and st.button(tr("Hacer actual", "Make current"), key="topic_run_use"):
                auth.require("analyze")
                set_current_topic_run(store, other)
                audit(store, auth.actor(), "topics.use", {"run_id": other})
                st.cache_data.clear()
                st.rerun()

    summary, over = _summary(data_version(), f)
    summary = summary[summary["comentarios"] > 0]
    if summary.empty:
        st.info(tr("Ningún comentario de este filtro tiene tema en la ejecución actual.",
                   "No comment in this filter has a topic in the current run."))
        st.stop()

    st.subheader(tr("Tamaño de cada tema", "Size of each topic"))
    d = summary.sort_values("comentarios").tail(30)
    fig = go.Figure(go.Bar(x=d["comentarios"], y=d["label"], orientation="h", marker_color="#7A9E7E",
                           customdata=d[["topic_id"]].values,
                           hovertemplate="%{y}: %{x}<extra></extra>"))
    fig.update_layout(height=max(300, 24 * len(d)), margin={"t": 10, "b": 10}, clickmode="event+select")
    ev = plotly_chart(fig, on_select="rerun", selection_mode="points", key="topic_sizes", width="stretch")
    pts = (ev or {}).get("selection", {}).get("points", []) if ev else []
    labels = summary["label"].tolist()
    if pts and pts[0].get("y") in labels:
        st.session_state["topic_pick"] = pts[0]["y"]

    table = summary.assign(share=(summary["share"] * 100).round(1),
                           negative_share=(summary["negative_share"] * 100).round(1),
                           positive_share=(summary["positive_share"] * 100).round(1),
                           rating_mean=summary["rating_mean"].round(2))
    table = table.rename(columns={"label": tr("tema", "topic"), "keywords": tr("palabras clave", "keywords"),
                                  "phrase": tr("frase representativa", "representative phrase"),
                                  "comentarios": tr("comentarios", "comments"), "share": "%",
                                  "negative_share": tr("% negativos", "% negative"),
                                  "positive_share": tr("% positivos", "% positive"),
                                  "rating_mean": tr("estrellas", "stars")})
    st.dataframe(table, hide_index=True, width="stretch")
    csv_download(summary, "sabor_temas.csv", key="dl_topics")

    st.subheader(tr("Sentimiento por tema", "Sentiment by topic"))
    s = summary.dropna(subset=["negative_share"]).sort_values("negative_share").tail(20)
    if s.empty:
        st.caption(tr("Sin sentimiento aún: analice los comentarios.",
                      "No sentiment yet: analyse the comments."))
    else:
        fig = go.Figure()
        fig.add_bar(y=s["label"], x=s["positive_share"] * 100, orientation="h",
                    name=tr("positivos", "positive"), marker_color="#7A9E7E")
        fig.add_bar(y=s["label"], x=s["negative_share"] * 100, orientation="h",
                    name=tr("negativos", "negative"), marker_color="#B3261E")
        fig.update_layout(barmode="group", height=max(300, 30 * len(s)), margin={"t": 10, "b": 10},
                          xaxis={"ticksuffix": "%"}, legend={"orientation": "h", "y": 1.08})
        plotly_chart(fig, key="topic_sentiment", width="stretch")

    st.subheader(tr("Palabras clave y comentarios representativos", "Keywords and representative comments"))
    default = st.session_state.get("topic_pick")
    pick = st.selectbox(tr("Tema", "Topic"), labels, key="topic_pick_box",
                        index=labels.index(default) if default in labels else 0,
                        placeholder=choose_one())
    row = summary[summary["label"] == pick].iloc[0]
    st.markdown(f"**{tr('Palabras clave', 'Keywords')}:** {wording.md_escape(row['keywords'])}")
    if row.get("phrase"):
        st.markdown(f"> {wording.md_escape(row['phrase'])}")
    rep = topics.representative_comments(store, int(row["topic_id"]), 5, f)
    st.dataframe(rep, hide_index=True, width="stretch")
    csv_download(rep, "sabor_tema_comentarios.csv", key="dl_topic_rep")

    st.subheader(tr("Temas en el tiempo (% de comentarios del mes)",
                    "Topics over time (% of the month's comments)"))
    share = over[(over["metric"] == "share") & (over["segment_type"] == "all")]
    if share.empty:
        st.caption(tr("Sin fechas en estos comentarios.", "No dates on these comments."))
    else:
        top = summary.head(8)["label"].tolist()
        fig = go.Figure()
        for lab in top:   # eight lines at most
            t = share[share["key"] == lab].sort_values("period")
            fig.add_scatter(x=t["period"], y=(t["share"] * 100).round(2), mode="lines+markers", name=lab,
                            marker={"symbol": ["circle-open" if p else "circle" for p in t["partial"]]})
        fig.update_layout(height=380, margin={"t": 10, "b": 10}, yaxis={"ticksuffix": "%"},
                          legend={"orientation": "h", "y": -0.2})
        plotly_chart(fig, key="topic_time", width="stretch")
        if share["partial"].any():
            st.caption(tr("El último mes está incompleto (marcador hueco).",
                          "The last month is incomplete (hollow marker)."))
        csv_download(share.drop(columns=["polarity", "metric", "segment_type", "segment"]),
                     "sabor_temas_tiempo.csv", key="dl_topic_time")
