"""The "analyse pending comments" control: runs the BERT pipeline with visible progress."""
from __future__ import annotations

import time

import streamlit as st

from dashboard.common import get_store, tr


def pending_count() -> int:
    store = get_store()
    return int(store.scalar("SELECT count(*) FROM feedback f WHERE NOT EXISTS "
                            "(SELECT 1 FROM predictions p WHERE p.feedback_id = f.feedback_id)"))


def analyze_button(key: str) -> None:
    """Offer to classify comments that have no prediction yet, with rows/s and time left."""
    n = pending_count()
    if not n:
        return
    st.info(tr(f"{n:,} comentarios aún no tienen sentimiento ni atributos de sabor.",
               f"{n:,} comments have no sentiment or taste attributes yet."))
    if not st.button(tr(f"Analizar {n:,} comentarios con BERT", f"Analyse {n:,} comments with BERT"), key=key):
        return
    from analysis.pipeline import analyze

    bar = st.progress(0.0, text=tr("Cargando el modelo…", "Loading the model…"))
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - start
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        bar.progress(min(done / max(total, 1), 1.0),
                     text=tr(f"{done:,}/{total:,} comentarios · {rate:.0f}/s · faltan {left:.0f} s",
                             f"{done:,}/{total:,} comments · {rate:.0f}/s · {left:.0f} s left"))

    with st.status(tr("Analizando comentarios…", "Analysing comments…"), expanded=True) as status:
        result = analyze(get_store(), progress=progress)
        status.update(label=tr(f"Listo: {result.get('scored', 0):,} analizados, {result.get('cached', 0):,} "
                               f"desde la caché", f"Done: {result.get('scored', 0):,} scored, "
                               f"{result.get('cached', 0):,} from cache"), state="complete")
    st.cache_data.clear()
    st.rerun()
