"""One readiness notice for every page that reads model results (analysis.ops.readiness).

While the background job scores, the notice shows its progress and what the page will show when it is
done, and refreshes itself; when the job ends the page reruns with the final results. With comments left
unscored and no job running it offers to start one. A page asks `not_yet()` before saying "no change":
while comments wait for the model, "no significant change" is "not analysed yet".
"""
from __future__ import annotations

import streamlit as st

from analysis.ops import jobs
from analysis.ops import readiness as rd
from dashboard.common import fmt_num, fmt_pct, get_store, tr

# What each page will show once every comment is analysed (es, en).
WILL_SHOW = {
    "resumen": ("el sentimiento y la proporción de negativos de todos los comentarios",
                "the sentiment and the negative share of every comment"),
    "tendencias": ("qué gustos, alimentos y temas suben o bajan, con su prueba estadística",
                   "which tastes, foods and topics rise or fall, with their statistical test"),
    "temas": ("los temas de todos los comentarios, con su sentimiento",
              "the topics of every comment, with their sentiment"),
    "recomendaciones": ("las recomendaciones respaldadas por los cambios significativos",
                        "the recommendations backed by the significant changes"),
    "preguntar": ("respuestas sobre sentimiento, sabor y alimentos de todos los comentarios",
                  "answers about sentiment, taste and foods for every comment"),
    "cargar": ("lo que cambió este archivo: cambios nuevos, temas que crecieron",
               "what this file changed: new shifts, topics that grew"),
}


def current() -> rd.Readiness:
    """The readiness now (one query of a few ms; never cached: it is the live state)."""
    return rd.compute(get_store(), jobs.state())


def progress_text(r: rd.Readiness) -> str:
    if r.running and r.job_phase == "topics":
        return tr("Buscando temas con BERTopic (después del análisis de sentimiento)…",
                  "Finding topics with BERTopic (after the sentiment analysis)…")
    if r.running and not r.job_total and not r.job_done:
        return tr(f"Análisis en curso: cargando el modelo BERT; {fmt_num(r.scored)} de {fmt_num(r.comments)} "
                  f"comentarios analizados ({fmt_pct(r.fraction)}).",
                  f"Analysis in progress: loading the BERT model; {fmt_num(r.scored)} of "
                  f"{fmt_num(r.comments)} comments analysed ({fmt_pct(r.fraction)}).")
    left = ""
    if r.running and r.seconds_left > 0:
        mins = r.seconds_left / 60
        left = tr(f" · faltan {fmt_num(mins, 0 if mins >= 1 else 1)} min",
                  f" · {fmt_num(mins, 0 if mins >= 1 else 1)} min left")
    return tr(f"Análisis en curso: {fmt_num(r.scored)} de {fmt_num(r.comments)} comentarios analizados "
              f"({fmt_pct(r.fraction)}){left}.",
              f"Analysis in progress: {fmt_num(r.scored)} of {fmt_num(r.comments)} comments analysed "
              f"({fmt_pct(r.fraction)}){left}.")


def not_yet_text(r: rd.Readiness) -> str:
    """What a page says where it would otherwise say "no change": the truth is "not analysed yet"."""
    return tr(f"Aún no analizado: faltan {fmt_num(r.pending)} de {fmt_num(r.comments)} comentarios por "
              "analizar. Que no aparezca un cambio no significa que no lo haya.",
              f"Not analysed yet: {fmt_num(r.pending)} of {fmt_num(r.comments)} comments still wait for "
              "the model. No change shown does not mean no change.")


def not_yet(r: rd.Readiness | None = None, by: str = "attribute") -> bool:
    """True while results of dimension `by` are partial: comments unscored or still being scored (topics:
    not every comment has a topic of the current run yet)."""
    r = r or current()
    if by == "topic":
        return r.comments > 0 and not (r.trends_ready and r.topics_ready)
    return r.comments > 0 and not r.trends_ready


def _stage(r: rd.Readiness) -> tuple:
    return r.running, r.job_phase, r.trends_ready, r.topics_ready


@st.fragment(run_every=2)
def _live(page: str, drawn: tuple) -> None:
    """The progress, redrawn every 2 s; when a stage ends (scoring, topics, the job) the whole page reruns
    so its results are the final ones. `drawn` is the stage the page was drawn at (a fragment rerun keeps
    its arguments)."""
    r = current()
    if _stage(r) != drawn:
        st.rerun()
    if not r.running:
        return
    st.progress(min(r.fraction, 1.0) if r.job_phase != "topics" else 1.0, text=progress_text(r))
    es, en = WILL_SHOW.get(page, WILL_SHOW["resumen"])
    st.info(tr(f"Cuando termine, esta página mostrará {es}. Hasta entonces muestra solo lo ya analizado.",
               f"When it is done, this page will show {en}. Until then it shows only what is analysed."),
            icon=":material/hourglass_top:")


def notice(page: str, key: str) -> rd.Readiness:
    """The readiness notice at the top of `page`; returns the readiness the page should honour."""
    r = current()
    if r.state == "empty":
        return r
    if r.running:
        _live(page, _stage(r))
        return r
    if r.job_status == "failed" and r.job_error:
        st.error(tr(f"El análisis falló: {r.job_error}", f"The analysis failed: {r.job_error}"))
    if r.pending:
        es, en = WILL_SHOW.get(page, WILL_SHOW["resumen"])
        st.warning(tr(f"{fmt_num(r.pending)} de {fmt_num(r.comments)} comentarios aún no tienen sentimiento "
                      f"ni atributos de sabor. Analícelos para ver {es}.",
                      f"{fmt_num(r.pending)} of {fmt_num(r.comments)} comments have no sentiment or taste "
                      f"attributes yet. Analyse them to see {en}."), icon=":material/pending:")
        from dashboard import auth

        if auth.can("analyze") and st.button(tr(f"Analizar {fmt_num(r.pending)} comentarios con BERT",
                                                f"Analyse {fmt_num(r.pending)} comments with BERT"), key=key):
            auth.require("analyze")
            if jobs.start_analysis(get_store()):
                from analysis.store import audit

                audit(get_store(), auth.actor(), "analyze.start", {"job_id": jobs.state().id})
            st.rerun()
    elif r.job_status == "done" and st.session_state.get("_rd_seen_done") != jobs.state().id:
        st.session_state["_rd_seen_done"] = jobs.state().id
        res = jobs.state().result
        st.success(tr(f"Análisis listo: {fmt_num(res.get('scored', 0))} comentarios analizados, "
                      f"{fmt_num(res.get('cached', 0))} desde la caché.",
                      f"Analysis done: {fmt_num(res.get('scored', 0))} scored, "
                      f"{fmt_num(res.get('cached', 0))} from cache."))
    return r
