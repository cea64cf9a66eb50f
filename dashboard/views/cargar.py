"""Cargar datos: upload feedback or market trends, check the detected columns, load, read the report."""
from __future__ import annotations

import os

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis.ingest import IngestError, LoadReport, ingest_bytes, preview, reason_label
from analysis.ingest.schema import FEEDBACK_COLUMNS, MARKET_COLUMNS
from analysis.insight import upload_changes, wording
from analysis.ops import jobs
from analysis.store import audit, load_detail
from dashboard import auth
from dashboard.common import (
    choose_one,
    csv_download,
    data_version,
    fmt_date,
    fmt_num,
    fmt_pct,
    get_store,
    lang,
    load_demo_button,
    page_header,
    plotly_chart,
    tr,
)
from dashboard.components.readiness import notice

NONE = "—"
LABELS = {
    "text": ("Comentario", "Comment"), "date": ("Fecha", "Date"), "rating": ("Calificación", "Rating"),
    "feedback_id": ("ID", "ID"), "product": ("Producto", "Product"), "brand": ("Marca", "Brand"),
    "category": ("Categoría", "Category"), "region": ("Región", "Region"), "channel": ("Canal", "Channel"),
    "segment": ("Segmento", "Segment"), "lang": ("Idioma", "Language"), "metric": ("Métrica", "Metric"),
    "value": ("Valor", "Value"), "year": ("Año", "Year"),
}

auth.require("upload")
page_header("Cargar datos", "Load data",
            "CSV, XLSX, JSON o Parquet; encabezados en español o inglés; fechas día/mes.",
            "CSV, XLSX, JSON or Parquet; Spanish or English headers; day-first dates.")
store = get_store()


def show_report(rep: LoadReport) -> None:
    lang = st.session_state.get("lang", "es")
    c = st.columns(4)
    c[0].metric(tr("Filas leídas", "Rows read"), fmt_num(rep.rows_read))
    c[1].metric(tr("Cargadas", "Loaded"), fmt_num(rep.rows_loaded))
    c[2].metric(tr("Rechazadas", "Rejected"), fmt_num(rep.rows_rejected))
    c[3].metric(tr("Duplicados omitidos", "Duplicates skipped"), fmt_num(rep.rows_duplicate),
                help=tr(f"{fmt_num(rep.duplicates_in_file)} repetidos en el archivo, "
                        f"{fmt_num(rep.duplicates_in_db)} ya cargados",
                        f"{rep.duplicates_in_file:,} repeated in the file, "
                        f"{rep.duplicates_in_db:,} already loaded"))
    if rep.date_min:
        st.write(tr(f"**Rango de fechas:** {fmt_date(rep.date_min)} → {fmt_date(rep.date_max)}",
                    f"**Date range:** {fmt_date(rep.date_min)} → {fmt_date(rep.date_max)}"))
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
    for note in rep.notices(lang):
        st.info(note)
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
                             index=options.index(cur) if cur in options else 0, key=f"{key}_{canon}",
                             placeholder=choose_one())
        chosen[canon] = "" if v == NONE else v
    changed = {k: v for k, v in chosen.items() if v != detected.get(k, "")}
    return chosen if changed else {}


def analyze_on_upload() -> bool:
    """Start scoring right after a feedback file loads (SABOR_ANALYZE_ON_UPLOAD=0 turns it off: the tests
    that do not want a model in their process)."""
    return os.environ.get("SABOR_ANALYZE_ON_UPLOAD", "1").strip() not in ("0", "false", "no")


def _shift_lines(df: pd.DataFrame) -> None:
    for r in df.head(8).to_dict("records"):
        arrow = "↑" if r["direction"] == "up" else "↓"
        st.markdown(f"- [{wording.md_escape(wording.series_label(r, lang()))} {arrow} "
                    f"{tr('desde', 'since')} {r['start_month']}]({r['link']}) · "
                    f"{fmt_pct(r['rate_before'], 1)} → {fmt_pct(r['rate_after'], 1)}")
    if len(df) > 8:
        st.caption(tr(f"y {fmt_num(len(df) - 8)} más en Tendencias", f"and {len(df) - 8:,} more in Trends"))


def what_changed(rep: LoadReport, key: str, ready) -> None:
    """After the load report and the scoring progress: what this file changed, once it is analysed."""
    st.subheader(tr("Qué cambió este archivo", "What this file changed"))
    if not ready.trends_ready:
        st.info(tr("El resumen aparecerá aquí cuando el análisis termine: comentarios nuevos por mes, "
                   "cambios que pasaron a ser significativos o dejaron de serlo, y temas que crecieron.",
                   "The summary appears here when the analysis ends: new comments by month, shifts that "
                   "became significant or stopped being so, and topics that grew."),
                icon=":material/hourglass_top:")
        return
    before = st.session_state.get(f"before_{key}")
    cache_key = (rep.upload_id, data_version())
    if st.session_state.get(f"changes_{key}", (None,))[0] != cache_key:
        with st.spinner(tr("Comparando con lo que había antes…", "Comparing with what was there before…")):
            out = upload_changes.summarize(get_store(), before if before is not None else
                                           pd.DataFrame(columns=upload_changes.KEEP), rep.upload_id)
        st.session_state[f"changes_{key}"] = (cache_key, out)
    out = st.session_state[f"changes_{key}"][1]
    bm = out["by_month"].dropna(subset=["month"])
    undated = int(out["by_month"]["comments"].sum() - bm["comments"].sum())
    if len(bm):
        fig = go.Figure(go.Bar(x=bm["month"], y=bm["comments"], marker_color="#E8A598",
                               hovertemplate="%{x|%Y-%m}: %{y}<extra></extra>"))
        fig.update_layout(height=220, margin={"t": 30, "b": 10, "l": 10, "r": 10},
                          title=tr("Comentarios nuevos por mes", "New comments by month"),
                          title_font_size=14)
        plotly_chart(fig, key=f"chg_month_{key}", width="stretch")
    if undated:
        st.caption(tr(f"{fmt_num(undated)} comentarios sin fecha", f"{undated:,} undated comments"))
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(tr("**Cambios que ahora son significativos**", "**Shifts that became significant**"))
        if out["new_shifts"].empty:
            st.caption(tr("Ninguno nuevo: el archivo no creó cambios significativos.",
                          "None new: the file made no shift significant."))
        _shift_lines(out["new_shifts"])
    with c2:
        st.markdown(tr("**Cambios que dejaron de ser significativos**", "**Shifts no longer significant**"))
        if out["ended_shifts"].empty:
            st.caption(tr("Ninguno.", "None."))
        _shift_lines(out["ended_shifts"])
    st.markdown(tr("**Temas que crecieron con este archivo**", "**Topics that grew with this file**"))
    if not ready.topics_ready:
        st.caption(tr("Los temas de estos comentarios aún se están calculando: los que crecieron aparecerán "
                      "aquí al terminar.",
                      "The topics of these comments are still being computed: the ones that grew appear "
                      "here when done."))
    elif out["topics"].empty:
        st.caption(tr("Ninguno creció con este archivo.", "None grew with this file."))
    for t in out["topics"].to_dict("records"):
        st.markdown(f"- [{wording.md_escape(str(t['label']))}](/temas) · "
                    f"{fmt_pct(t['share_before'], 1)} → {fmt_pct(t['share_new'], 1)} "
                    + tr(f"({fmt_num(t['n_new'])} comentarios nuevos)", f"({t['n_new']:,} new comments)"))
    st.markdown(tr("[Ver Tendencias →](/tendencias) · [Ver Temas →](/temas) · [Ver Resumen →](/resumen)",
                   "[Open Trends →](/tendencias) · [Open Topics →](/temas) · [Open Overview →](/resumen)"))


def upload_flow(kind: str, key: str) -> LoadReport | None:
    up = st.file_uploader(tr("Archivo", "File"),
                          type=["csv", "tsv", "txt", "xlsx", "json", "jsonl", "parquet"], key=key)
    if up is None:
        return None
    data = up.getvalue()
    try:
        raw, mapping = preview(data, up.name, kind=kind)
    except IngestError as e:
        st.error(str(e))
        return None
    st.caption(tr(f"{fmt_num(len(raw.df))} filas · vista previa de las primeras 20",
                  f"{len(raw.df):,} rows · first 20"))
    st.dataframe(raw.df.head(20), hide_index=True, width="stretch")
    cols = FEEDBACK_COLUMNS if kind == "feedback" else MARKET_COLUMNS + ("year",)
    overrides = mapping_editor(list(map(str, raw.df.columns)), mapping.columns, cols, f"map_{key}")
    if st.button(tr("Cargar en la base de datos", "Load into the database"), type="primary",
                 key=f"load_{key}"):
        auth.require("upload")
        try:
            with st.spinner(tr("Cargando…", "Loading…")):
                # the significant shifts the user knew, to say afterwards what this file changed
                before = upload_changes.significant_shifts(store) if kind == "feedback" else None
                rep = ingest_bytes(store, data, up.name, overrides or None, kind=kind)
        except IngestError as e:
            st.error(str(e))
            return None
        audit(store, auth.actor(), f"{kind}.upload", load_detail(rep))
        st.session_state[f"report_{key}"] = rep
        st.session_state[f"before_{key}"] = before
        st.cache_data.clear()
        if kind == "feedback" and rep.rows_loaded and analyze_on_upload() and auth.can("analyze"):
            if jobs.start_analysis(store):
                audit(store, auth.actor(), "analyze.start", {"job_id": jobs.state().id})
    rep = st.session_state.get(f"report_{key}")
    if rep is not None and rep.file_name == up.name and rep.already_loaded:
        st.info(tr(rep.already_text("es"), rep.already_text("en")))
    elif rep is not None and rep.file_name == up.name:
        st.success(tr(f"{rep.file_name}: {fmt_num(rep.rows_loaded)} filas cargadas.",
                      f"{rep.file_name}: {rep.rows_loaded:,} rows loaded."))
        show_report(rep)
        return rep
    return None


tab_fb, tab_market, tab_hist = st.tabs([tr("Comentarios", "Feedback"),
                                        tr("Tendencias de mercado", "Market trends"),
                                        tr("Historial", "History")])
with tab_fb:
    loaded = upload_flow("feedback", "csv")
    ready = notice("cargar", "analyze_cargar")
    if loaded is not None and loaded.rows_loaded:
        what_changed(loaded, "csv", ready)
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
                            hist[hist["rows_rejected"] > 0]["file_name"].tolist() or [NONE], key="hist_pick",
                            placeholder=choose_one())
        if pick != NONE:
            uid = hist[hist["file_name"] == pick]["upload_id"].iloc[0]
            rej = store.rejected_for(uid)
            st.dataframe(rej, hide_index=True, width="stretch")
            csv_download(rej, f"rechazadas_{pick}.csv", key="dl_hist_rej")
