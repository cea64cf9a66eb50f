"""Sabor dashboard router: navigation, language, the shared sidebar filters, metrics exporter."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

from analysis.filters import Filters
from analysis.insight import overview
from dashboard import auth
from dashboard.common import (
    choose_placeholder,
    count_page_view,
    data_version,
    fmt_num,
    get_store,
    inject_streamlit_texts,
    start_metrics_once,
    tr,
)

st.set_page_config(page_title="Sabor", page_icon=":material/local_dining:", layout="wide")
start_metrics_once()

PAGES = [  # (file, title es, title en, icon, url path)
    ("resumen.py", "Resumen", "Overview", ":material/dashboard:", "resumen"),
    ("tendencias.py", "Tendencias", "Trends", ":material/trending_up:", "tendencias"),
    ("temas.py", "Temas", "Topics", ":material/hub:", "temas"),
    ("recomendaciones.py", "Recomendaciones", "Recommendations", ":material/lightbulb:", "recomendaciones"),
    ("preguntar.py", "Preguntar", "Ask the data", ":material/chat:", "preguntar"),
    ("cargar.py", "Cargar datos", "Load data", ":material/upload_file:", "cargar"),
    ("alertas.py", "Alertas", "Alerts", ":material/notifications:", "alertas"),
    ("modelo.py", "Modelo", "Model", ":material/psychology:", "modelo"),
    ("auditoria.py", "Auditoría", "Audit trail", ":material/shield_person:", "auditoria"),
]
# The action a page needs (analysis.access); the rest need "read". A role sees only the pages it may use.
PAGE_ACTIONS = {"cargar": "upload", "preguntar": "ask", "auditoria": "audit"}


@st.cache_data(show_spinner=False)
def _filter_options(version: str) -> dict:
    """Distinct values for the sidebar (cached per data version, shared: it holds no per-user state)."""
    return overview.filter_options(get_store())


def sidebar() -> None:
    with st.sidebar:
        st.radio("Idioma / Language", ["es", "en"], horizontal=True, key="lang",
                 format_func=lambda v: "Español" if v == "es" else "English")
        opts = _filter_options(data_version())
        lo, hi = opts["dates"]
        st.subheader(tr("Filtros", "Filters"))
        rng = None
        if lo and hi:
            rng = st.date_input(tr("Fechas", "Dates"), value=(lo, hi), min_value=lo, max_value=hi,
                                key="f_dates", format=tr("DD/MM/YYYY", "YYYY-MM-DD"))
        ph = choose_placeholder()
        products = st.multiselect(tr("Producto", "Product"), opts["product"], key="f_products",
                                  placeholder=ph)
        regions = st.multiselect(tr("Región", "Region"), opts["region"], key="f_regions", placeholder=ph)
        channels = st.multiselect(tr("Canal", "Channel"), opts["channel"], key="f_channels", placeholder=ph)
        d_from = d_to = None
        if isinstance(rng, (list, tuple)) and len(rng) == 2:
            d_from, d_to = rng
            if (d_from, d_to) == (lo, hi):  # the full range is "no date filter" (keeps undated rows)
                d_from = d_to = None
        st.session_state["filters"] = Filters(d_from, d_to, tuple(products), tuple(regions), tuple(channels))
        n = get_store().feedback_count()
        st.caption(tr(f"{fmt_num(n)} comentarios en la base · {date.today():%d/%m/%Y}",
                      f"{fmt_num(n)} comments in the database · {date.today():%Y-%m-%d}"))
        auth.sidebar_user()


st.session_state.setdefault("lang", "es")
# Pages live in views/, not pages/: Streamlit treats a pages/ folder next to the entrypoint as an old-style
# multipage app, and a deep link (/tendencias) would then run the page without this router.
VIEWS = ROOT / "dashboard" / "views"
if auth.current_user() is None:   # SABOR_AUTH=1 and nobody signed in: only the sign-in page exists
    st.navigation([st.Page(auth.login_view, title=tr("Iniciar sesión", "Sign in"), icon=":material/login:",
                           url_path="ingresar", default=True)]).run()
    st.stop()
pages = [st.Page(str(VIEWS / f), title=tr(es, en), icon=icon, url_path=url, default=(url == "resumen"))
         for f, es, en, icon, url in PAGES
         if (VIEWS / f).exists() and auth.can(PAGE_ACTIONS.get(url, "read"))]
nav = st.navigation(pages)
sidebar()
inject_streamlit_texts()  # Streamlit's own English (uploader) in the UI language; metrics never truncated
count_page_view(nav.url_path or "resumen")
nav.run()
