"""The "analyse pending comments" control: BERT runs in a background thread of the server (shared by every
session), and this widget shows its progress with rows/s and time left without blocking the page."""
from __future__ import annotations

import streamlit as st

from analysis.ops import jobs
from analysis.store import count_unpredicted
from dashboard.common import get_store, tr


@st.fragment(run_every=2)
def _progress() -> None:
    job = jobs.state()
    if job.running and job.phase == "topics":
        st.progress(1.0, text=tr("Buscando temas con BERTopic…", "Finding topics with BERTopic…"))
    elif job.running:
        frac = job.done / job.total if job.total else 0.0
        st.progress(frac, text=tr(
            f"Analizando con BERT: {job.done:,}/{job.total:,} comentarios · {job.rate:.0f}/s · "
            f"faltan {job.seconds_left / 60:.0f} min. Los gráficos muestran lo ya analizado.",
            f"Analysing with BERT: {job.done:,}/{job.total:,} comments · {job.rate:.0f}/s · "
            f"{job.seconds_left / 60:.0f} min left. Charts show what is analysed so far."))
    elif job.error:
        st.error(tr(f"El análisis falló: {job.error}", f"The analysis failed: {job.error}"))
    elif job.finished:
        r = job.result
        st.success(tr(f"Análisis listo: {r.get('scored', 0):,} comentarios analizados, "
                      f"{r.get('cached', 0):,} desde la caché.",
                      f"Analysis done: {r.get('scored', 0):,} scored, "
                      f"{r.get('cached', 0):,} from cache."))


def analyze_button(key: str) -> None:
    """Offer to classify comments that have no prediction yet; show the running job's progress."""
    job = jobs.state()
    if job.running or job.finished:
        _progress()
        if job.running:
            return
    from dashboard import auth

    if not auth.can("analyze"):
        return
    n = count_unpredicted(get_store())
    if not n:
        return
    st.info(tr(f"{n:,} comentarios aún no tienen sentimiento ni atributos de sabor.",
               f"{n:,} comments have no sentiment or taste attributes yet."))
    if st.button(tr(f"Analizar {n:,} comentarios con BERT", f"Analyse {n:,} comments with BERT"), key=key):
        auth.require("analyze")
        if jobs.start_analysis(get_store()):
            from analysis.store import audit

            audit(get_store(), auth.actor(), "analyze.start", {"job_id": jobs.state().id})
        st.rerun()
