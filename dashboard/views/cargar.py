"""Cargar datos: upload feedback or market trends, check the detected columns, load, read the report."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.ingest import IngestError, LoadReport, ingest_bytes, preview, reason_label
from analysis.ingest.schema import FEEDBACK_COLUMNS, MARKET_COLUMNS
from dashboard.common import csv_download, get_store, load_demo_button, page_header, tr
from dashboard.components.analyze import analyze_button

NONE = "—"
LABELS = {
    "text": ("Comentario", "Comment"), "date": ("Fecha", "Date"), "rating": ("Calificación", "Rating"),
    "feedback_id": ("ID", "ID"), "product": ("Producto", "Product"), "brand": ("Marca", "Brand"),
    "category": ("Categoría", "Category"), "region": ("Región", "Region"), "channel": ("Canal", "Channel"),
    "segment": ("Segmento", "Segment"), "lang": ("Idioma", "Language"), "metric": ("Métrica", "Metric"),
    "value": ("Valor", "Value"), "year": ("Año", "Year"),
}

page_header("Cargar datos", "Load data",
            "CSV, XLSX, JSON o Parquet; encabezados en español o inglés; fechas día/mes.",
            "CSV, XLSX, JSON or Parquet; Spanish or English headers; day-first dates.")
store = get_store()


def show_report(rep: LoadReport) -> None:
    lang = st.session_state.get("lang", "es")
    c = st.columns(4)
    c[0].metric(tr("Filas leídas", "Rows read"), f"{rep.rows_read:,}")
    c[1].metric(tr("Cargadas", "Loaded"), f"{rep.rows_loaded:,}")
    c[2].metric(tr("Rechazadas", "Rejected"), f"{rep.rows_rejected:,}")
    c[3].metric(tr("Duplicados omitidos", "Duplicates skipped"), f"{rep.rows_duplicate:,}",
                help=tr(f"{rep.duplicates_in_file:,} repetidos en el archivo, "
                        f"{rep.duplicates_in_db:,} ya cargados",
                        f"{rep.duplicates_in_file:,} repeated in the file, "
                        f"{rep.duplicates_in_db:,} already loaded"))
    if rep.date_min:
        st.write(tr(f"**Rango de fechas:** {rep.date_min} → {rep.date_max}",
                    f"**Date range:** {rep.date_min} → {rep.date_max}"))
    st.write(tr("**Columnas usadas:** ", "**Columns used:** ") +
             ", ".join(f"{tr(*LABELS.get(k, (k, k)))} ← `{v}`" for k, v in rep.mapping.items()) +
             tr(f" · codificación {rep.encoding}", f" · encoding {rep.encoding}"))
    if rep.rejected_by_reason:
        st.write(tr("**Filas rechazadas por motivo**", "**Rejected rows by reason**"))
        st.dataframe(pd.DataFrame([{tr("motivo", "reason"): reason_label(r, lang), tr("filas", "rows"): n}
                                   for r, n in rep.rejected_by_reason.items()]), hide_index=True)
        rejected = store.rejected_for(rep.upload_id)
        csv_download(rejected, f"rechazadas_{rep.file_name}.csv",
                     tr("Descargar filas rechazadas", "Download rejected rows"),
                     key=f"dl_rej_{rep.upload_id}")
    for notice in rep.notices(lang):
        st.info(notice)
    for w in rep.warnings:
        st.warning(w)


def mapping_editor(raw_cols: list[str], detected: dict[str, str], columns: tuple[str, ...], key: str) -> dict:
    """One selectbox per canonical column, preset to the detected header. Returns overrides if changed."""
    st.write(tr("**Columnas detectadas** (cámbielas si hace falta)",
                "**Detected columns** (change if needed)"))
    options = [NONE] + raw_cols
    chosen = {}
    grid = st.columns(4)
    for i, canon in enumerate(columns):
        cur = detected.get(canon)
        with grid[i % 4]:
            v = st.selectbox(tr(*LABELS.get(canon, (canon, canon))), options,
                             index=options.index(cur) if cur in options else 0, key=f"{key}_{canon}")
        chosen[canon] = "" if v == NONE else v
    changed = {k: v for k, v in chosen.items() if v != detected.get(k, "")}
    return chosen if changed else {}


def upload_flow(kind: str, key: str) -> None:
    up = st.file_uploader(tr("Archivo", "File"),
                          type=["csv", "tsv", "txt", "xlsx", "json", "jsonl", "parquet"], key=key)
    if up is None:
        return
    data = up.getvalue()
    try:
        raw, mapping = preview(data, up.name, kind=kind)
    except IngestError as e:
        st.error(str(e))
        return
    st.caption(tr(f"{len(raw.df):,} filas · vista previa de las primeras 20",
                  f"{len(raw.df):,} rows · first 20"))
    st.dataframe(raw.df.head(20), hide_index=True, width="stretch")
    cols = FEEDBACK_COLUMNS if kind == "feedback" else MARKET_COLUMNS + ("year",)
    overrides = mapping_editor(list(map(str, raw.df.columns)), mapping.columns, cols, f"map_{key}")
    if st.button(tr("Cargar en la base de datos", "Load into the database"), type="primary",
                 key=f"load_{key}"):
        try:
            with st.spinner(tr("Cargando…", "Loading…")):
                rep = ingest_bytes(store, data, up.name, overrides or None, kind=kind)
        except IngestError as e:
            st.error(str(e))
            return
        st.session_state[f"report_{key}"] = rep
        st.cache_data.clear()
    rep = st.session_state.get(f"report_{key}")
    if rep is not None and rep.file_name == up.name and rep.already_loaded:
        st.info(tr(rep.already_text("es"), rep.already_text("en")))
    elif rep is not None and rep.file_name == up.name:
        st.success(tr(f"{rep.file_name}: {rep.rows_loaded:,} filas cargadas.",
                      f"{rep.file_name}: {rep.rows_loaded:,} rows loaded."))
        show_report(rep)


tab_fb, tab_market, tab_hist = st.tabs([tr("Comentarios", "Feedback"),
                                        tr("Tendencias de mercado", "Market trends"),
                                        tr("Historial", "History")])
with tab_fb:
    upload_flow("feedback", "csv")
    analyze_button("analyze_cargar")
    if not store.feedback_count():
        load_demo_button("load_demo")
with tab_market:
    st.caption(tr("Mes, producto o categoría, región (opcional) y una columna por métrica "
                  "(ventas, búsquedas, precio) o columnas 'métrica' y 'valor'.",
                  "Month, product or category, optional region, and one column per metric "
                  "(sales, search, price) or 'metric' and 'value' columns."))
    upload_flow("market", "market_file")
with tab_hist:
    hist = store.uploads()
    if hist.empty:
        st.info(tr("Todavía no se ha cargado ningún archivo.", "No file has been loaded yet."))
    else:
        st.dataframe(hist, hide_index=True, width="stretch")
        pick = st.selectbox(tr("Ver filas rechazadas de", "Show rejected rows of"),
                            hist[hist["rows_rejected"] > 0]["file_name"].tolist() or [NONE], key="hist_pick")
        if pick != NONE:
            uid = hist[hist["file_name"] == pick]["upload_id"].iloc[0]
            rej = store.rejected_for(uid)
            st.dataframe(rej, hide_index=True, width="stretch")
            csv_download(rej, f"rechazadas_{pick}.csv", key="dl_hist_rej")
