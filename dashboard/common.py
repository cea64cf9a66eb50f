"""Helpers every page uses: the store, the UI language, the shared filters, page header, CSV download.

Pages import only from here and from analysis/models; the router (app.py) owns the sidebar.
"""
from __future__ import annotations

import os
import time

import pandas as pd
import streamlit as st

from analysis.exports import safe_csv_bytes
from analysis.filters import Filters
from analysis.ops import metrics
from analysis.store import Store, default_db_path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@st.cache_resource(show_spinner=False)
def _store_for(path: str) -> Store:
    return Store.open(path)


def get_store() -> Store:
    """The process-wide store for SABOR_DB (resolved at call time so tests can point elsewhere)."""
    return _store_for(str(default_db_path()))


@st.cache_resource(show_spinner=False)
def start_metrics_once():
    return metrics.start_exporter()


def lang() -> str:
    return st.session_state.get("lang", "es")


def tr(es: str, en: str) -> str:
    """Spanish first; English when the user switched the UI language."""
    return en if lang() == "en" else es


def count_page_view(name: str) -> None:
    metrics.PAGE_VIEWS.labels(page=name).inc()
    _touch_session()


# Sessions seen in the last 5 minutes, across this process (a gauge for the sysadmin).
_SESSIONS: dict[str, float] = {}


def _touch_session() -> None:
    sid = st.session_state.setdefault("_sabor_sid", os.urandom(8).hex())
    now = time.time()
    _SESSIONS[sid] = now
    for k, seen in list(_SESSIONS.items()):
        if now - seen > 300:
            _SESSIONS.pop(k, None)
    metrics.ACTIVE_SESSIONS.set(len(_SESSIONS))


def page_header(title_es: str, title_en: str, caption_es: str = "", caption_en: str = "") -> None:
    st.title(tr(title_es, title_en))
    if caption_es or caption_en:
        st.caption(tr(caption_es, caption_en))


def current_filters() -> Filters:
    return st.session_state.get("filters") or Filters()


def data_version() -> str:
    """Cache key for st.cache_data: changes when the data changes (never per-user state)."""
    return get_store().data_version()


def csv_download(df: pd.DataFrame, file_name: str, label: str | None = None, key: str | None = None) -> None:
    """CSV download with spreadsheet-formula cells neutralised."""
    st.download_button(label or tr("Descargar CSV", "Download CSV"), data=safe_csv_bytes(df),
                       file_name=file_name, mime="text/csv", key=key or f"dl_{file_name}")


def empty_state() -> bool:
    """Shows the invitation to load data when the database has no comments; returns True if empty."""
    if get_store().feedback_count():
        return False
    st.info(tr("Aún no hay comentarios en la base de datos. Sube un archivo en **Cargar datos** "
               "o carga los datos de demostración.",
               "There are no comments in the database yet. Upload a file in **Load data** "
               "or load the demo data."))
    load_demo_button("load_demo_empty")
    return True


def load_demo_button(key: str) -> None:
    """Load the bundled demo data (once; a file already loaded is skipped) and redraw."""
    from dashboard import auth

    if not auth.can("upload"):
        return
    if st.button(tr("Cargar datos de demostración", "Load demo data"), key=key):
        from analysis.demo import load_demo
        from analysis.store import audit, load_detail

        auth.require("upload")
        with st.spinner(tr("Cargando demo…", "Loading demo…")):
            for rep in load_demo(get_store()):
                if rep.upload_id:
                    audit(get_store(), auth.actor(), f"{rep.kind}.upload", load_detail(rep))
        st.cache_data.clear()
        st.rerun()
