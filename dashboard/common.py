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


# -- numbers, per language ----------------------------------------------------------------------------
def fmt_num(x, decimals: int = 0, ui_lang: str | None = None) -> str:
    """1.234,5 in Spanish, 1,234.5 in English (None → "–")."""
    if x is None:
        return "–"
    s = f"{float(x):,.{decimals}f}" if decimals else f"{int(round(float(x))):,}"
    if (ui_lang or lang()) == "es":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s


def fmt_pct(frac, decimals: int = 0, ui_lang: str | None = None) -> str:
    """A share (0..1) as a percentage in the UI language: 12 % / 12%."""
    if frac is None:
        return "–"
    s = fmt_num(frac * 100, decimals, ui_lang)
    return f"{s} %" if (ui_lang or lang()) == "es" else f"{s}%"


# -- Streamlit's own strings and layout ------------------------------------------------------------------
# Streamlit 1.67 draws a few texts of its own with no parameter to change them: the file uploader's
# button ("Upload") and its limit line ("200MB per file • CSV, ..."), the header's "Stop". The English node
# is hidden (display:none or a zero font size) and the UI language's text is drawn in its place with
# ::after. tests/e2e/test_walkthrough.py checks the uploader's, in both languages; the "Stop" button shows
# only while a page runs, so it is set here and looked at in the screenshots, not asserted.
def _css_text(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def streamlit_texts_css(ui_lang: str | None = None, types: str = "") -> str:
    ui = ui_lang or lang()
    mb = st.get_option("server.maxUploadSize")
    button = "Subir archivo" if ui == "es" else "Upload a file"
    stop = "Detener" if ui == "es" else "Stop"
    drop = "Arrastre un archivo aquí" if ui == "es" else "Drag and drop a file here"
    limit = f"Límite {mb} MB por archivo" if ui == "es" else f"Limit {mb} MB per file"
    limit += f" · {types}" if types else ""
    return f"""<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > * {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::before {{
  content: "{_css_text(drop)}"; display: block; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: "{_css_text(limit)}"; display: block; font-size: 0.8rem; opacity: 0.7; }}
[data-testid="stFileUploaderDropzone"] button[kind="secondary"] [data-testid="stMarkdownContainer"] {{
  display: none; }}
[data-testid="stFileUploaderDropzone"] button[kind="secondary"]::after {{ content: "{_css_text(button)}"; }}
/* the header's "Stop" button while a page runs */
[data-testid="stStatusWidget"] button {{ font-size: 0 !important; }}
[data-testid="stStatusWidget"] button::after {{ content: "{_css_text(stop)}"; font-size: 0.875rem; }}
/* Tendencias' panels drawn twice, wide and for a phone (st.container keys): one of them shows */
.st-key-tr_narrow {{ display: none; }}
@media (max-width: 640px) {{
  .st-key-tr_wide {{ display: none; }}
  .st-key-tr_narrow {{ display: block; }}
}}
/* values a user needs are never cut with an ellipsis: metrics and long labels wrap */
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {{ white-space: normal !important;
  overflow-wrap: anywhere; text-overflow: clip !important; overflow: visible !important; }}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{ white-space: normal !important;
  text-overflow: clip !important; overflow: visible !important; }}
[data-testid="stWidgetLabel"] p {{ white-space: normal !important; }}
[data-testid^="stBaseButton"] [data-testid="stMarkdownContainer"] p {{ white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }}
</style>"""


def inject_streamlit_texts(types: str = "") -> None:
    """Put the language's texts over Streamlit's own English ones (see streamlit_texts_css)."""
    st.html(streamlit_texts_css(types=types))


def choose_placeholder() -> str:
    """The multiselect placeholder ("Choose options" is Streamlit's English default)."""
    return tr("Elija opciones", "Choose options")


# Plotly's own texts (the modebar's tooltips: "Download plot as a PNG", "Zoom", "Autoscale"...) through its
# localisation config, in the UI language.
_PLOTLY_ES = {
    "Download plot as a PNG": "Descargar como PNG", "Download plot": "Descargar gráfico",
    "Zoom": "Zoom", "Pan": "Desplazar", "Box Select": "Selección rectangular",
    "Lasso Select": "Selección libre", "Zoom in": "Acercar", "Zoom out": "Alejar",
    "Autoscale": "Escala automática", "Reset axes": "Restablecer ejes", "Reset view": "Restablecer vista",
    "Toggle Spike Lines": "Líneas guía", "Show closest data on hover": "Dato más cercano al pasar",
    "Compare data on hover": "Comparar datos al pasar", "Produced with Plotly.js": "Hecho con Plotly.js",
    "Taking snapshot - this may take a few seconds": "Tomando la imagen; puede tardar unos segundos",
    "Snapshot succeeded": "Imagen lista", "Sorry, there was a problem downloading your snapshot!":
        "No se pudo descargar la imagen.",
    "Double-click to zoom back out": "Doble clic para alejar", "Click to enter Colorscale title":
        "Título de la escala", "Click to enter Plot title": "Título del gráfico",
    "Click to enter X axis title": "Título del eje X", "Click to enter Y axis title": "Título del eje Y",
}


def plot_config() -> dict:
    if lang() != "es":
        return {"displaylogo": False}
    return {"displaylogo": False, "locale": "es-sabor",
            "locales": {"es-sabor": {"dictionary": _PLOTLY_ES, "format": {
                "decimal": ",", "thousands": ".",
                "months": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                           "septiembre", "octubre", "noviembre", "diciembre"],
                "shortMonths": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct",
                                "nov", "dic"],
                "days": ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
                "shortDays": ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"]}}}}


def plotly_chart(fig, **kw):
    """st.plotly_chart with Plotly's own texts, months and number separators in the UI language."""
    kw.setdefault("config", plot_config())
    return st.plotly_chart(fig, **kw)


def choose_one() -> str:
    """The selectbox placeholder ("Choose an option" is Streamlit's English default, kept in the input's
    placeholder even when a value is chosen)."""
    return tr("Elija una opción", "Choose an option")


def fmt_date(d, ui_lang: str | None = None) -> str:
    """31/12/2025 in Spanish, 2025-12-31 in English (a date, a datetime or an ISO string; "–" if none)."""
    if d is None or d == "":
        return "–"
    ts = pd.Timestamp(d)
    return f"{ts:%d/%m/%Y}" if (ui_lang or lang()) == "es" else f"{ts:%Y-%m-%d}"
