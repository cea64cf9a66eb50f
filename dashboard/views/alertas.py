"""Alertas: the rules that turn a new taste shift into a message, the channels they go to, the last
refresh runs, the files the inbox took and the alerts sent."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.insight import alerts
from analysis.ops import notify, refresh
from analysis.store import refresh as history
from dashboard import auth
from dashboard.common import (
    choose_one,
    csv_download,
    get_store,
    lang,
    page_header,
    tr,
)

page_header("Alertas", "Alerts",
            "Reglas sobre los cambios de gusto: cuando una actualización encuentra un cambio nuevo que "
            "cumple una regla, Sabor envía un mensaje (webhook y correo) con sus cifras y tres comentarios.",
            "Rules on taste shifts: when a refresh finds a new shift that matches a rule, Sabor sends one "
            "message (webhook and e-mail) with its numbers and three comments.")

ANY = alerts.ANY
DIM_LABEL = {ANY: ("Cualquiera", "Any"), "attribute": ("Atributo de sabor", "Taste attribute"),
             "mention": ("Alimentos", "Foods"), "topic": ("Tema", "Topic"), "term": ("Palabras", "Words"),
             "product": ("Producto", "Product"), "region": ("Región", "Region")}
POL_LABEL = {ANY: ("Cualquiera", "Any"), "negative": ("Queja", "Complaint"), "positive": ("Elogio", "Praise"),
             "neutral": ("Neutra", "Neutral"), "all": ("Cualquier mención", "Any mention")}
METRIC_LABEL = {ANY: ("Cualquiera", "Any"), "share": ("% de comentarios", "% of comments"),
                "negative_share": ("% de quejas", "% complaints")}
SEG_LABEL = {ANY: ("Cualquiera", "Any"), "all": ("Todos los comentarios", "All comments"),
             "category": ("Categoría", "Category"), "product": ("Producto", "Product"),
             "region": ("Región", "Region"), "zone": ("Macrorregión", "Macro-region"),
             "category_region": ("Categoría · región", "Category · region")}
DIR_LABEL = {ANY: ("Sube o baja", "Up or down"), "up": ("Sube ↑", "Up ↑"), "down": ("Baja ↓", "Down ↓")}
NEW = "__new__"

store = get_store()

# ---- channels ------------------------------------------------------------------------------------------
st.subheader(tr("Canales", "Channels"))
channels = notify.describe_channels()
if not channels:
    st.info(tr("No hay canales configurados: defina SABOR_ALERT_WEBHOOK_URL (Slack, Teams o JSON) y/o "
               "SABOR_SMTP_HOST con SABOR_ALERT_EMAIL_FROM y SABOR_ALERT_EMAIL_TO. Las alertas se registran "
               "igual y se ven abajo.",
               "No channel configured: set SABOR_ALERT_WEBHOOK_URL (Slack, Teams or JSON) and/or "
               "SABOR_SMTP_HOST with SABOR_ALERT_EMAIL_FROM and SABOR_ALERT_EMAIL_TO. Alerts are still "
               "recorded and listed below."))
else:
    st.dataframe(pd.DataFrame(channels).rename(columns={"channel": tr("canal", "channel"),
                                                        "target": tr("destino", "target")}), hide_index=True)

# ---- rules ---------------------------------------------------------------------------------------------
st.subheader(tr("Reglas", "Rules"))
try:
    rules = alerts.all_rules(store)
except alerts.RuleError as e:
    st.error(tr(f"El archivo de reglas no se pudo leer: {e}", f"The rules file could not be read: {e}"))
    rules = alerts.dashboard_rules(store)


def _label(pairs: dict, value: str) -> str:
    return tr(*pairs.get(value, (value, value)))


def _rules_table(rs: list[alerts.Rule]) -> pd.DataFrame:
    return pd.DataFrame([{
        tr("regla", "rule"): r.name,
        tr("origen", "source"): tr("panel", "dashboard") if r.source == "dashboard" else r.source,
        tr("activa", "enabled"): r.enabled, tr("dimensión", "dimension"): _label(DIM_LABEL, r.dimension),
        tr("clave", "key"): ", ".join(r.key) or tr("cualquiera", "any"),
        tr("polaridad", "polarity"): _label(POL_LABEL, r.polarity),
        tr("segmento", "segment"): ", ".join(r.segment) or _label(SEG_LABEL, r.segment_type),
        tr("dirección", "direction"): _label(DIR_LABEL, r.direction),
        tr("efecto mín. (pp)", "min effect (pp)"): r.min_effect_pp, tr("q máx.", "max q"): r.max_q,
        tr("volumen mín.", "min volume"): r.min_volume} for r in rs])


if rules:
    st.dataframe(_rules_table(rules), hide_index=True, width="stretch")
else:
    st.caption(tr("Aún no hay reglas: cree una abajo (o use un archivo YAML con SABOR_ALERT_RULES).",
                  "No rules yet: create one below (or use a YAML file with SABOR_ALERT_RULES)."))

if auth.can("alerts"):   # analysts and admins edit rules; a viewer reads them
    editable = {r.rule_id: r for r in rules if r.source == "dashboard"}
    if "al_pick_next" in st.session_state:   # chosen by the last save/delete, before the widget exists
        st.session_state["al_pick"] = st.session_state.pop("al_pick_next")
    pick = st.selectbox(tr("Crear o editar una regla", "Create or edit a rule"), [NEW] + list(editable),
                        key="al_pick",
                        format_func=lambda v: (tr("+ Nueva regla", "+ New rule") if v == NEW
                                               else editable[v].name),
                        placeholder=choose_one())
    cur = editable.get(pick) or alerts.Rule(name="")
    with st.form(f"al_form_{pick}"):
        name = st.text_input(tr("Nombre", "Name"), cur.name, key=f"al_name_{pick}")
        c1, c2, c3 = st.columns(3)
        dim = c1.selectbox(tr("Dimensión", "Dimension"), list(DIM_LABEL),
                           list(DIM_LABEL).index(cur.dimension),
                           format_func=lambda v: _label(DIM_LABEL, v), key=f"al_dim_{pick}",
                           placeholder=choose_one())
        key = c2.text_input(tr("Clave (vacío = cualquiera; varias separadas por comas)",
                               "Key (empty = any; several separated by commas)"), ", ".join(cur.key),
                            key=f"al_key_{pick}")
        pol = c3.selectbox(tr("Polaridad", "Polarity"), list(POL_LABEL), list(POL_LABEL).index(cur.polarity),
                           format_func=lambda v: _label(POL_LABEL, v), key=f"al_pol_{pick}",
                           placeholder=choose_one())
        c4, c5, c6 = st.columns(3)
        seg_type = c4.selectbox(tr("Tipo de segmento", "Segment type"), list(SEG_LABEL),
                                list(SEG_LABEL).index(cur.segment_type),
                                format_func=lambda v: _label(SEG_LABEL, v), key=f"al_segt_{pick}",
                                placeholder=choose_one())
        seg = c5.text_input(tr("Segmento (vacío = cualquiera: Lima, sur, dulces…)",
                               "Segment (empty = any: Lima, sur, dulces…)"), ", ".join(cur.segment),
                            key=f"al_seg_{pick}")
        direction = c6.selectbox(tr("Dirección", "Direction"), list(DIR_LABEL),
                                 list(DIR_LABEL).index(cur.direction),
                                 format_func=lambda v: _label(DIR_LABEL, v),
                                 key=f"al_dir_{pick}", placeholder=choose_one())
        c7, c8, c9, c10 = st.columns(4)
        effect = c7.number_input(tr("Efecto mínimo (puntos %)", "Minimum effect (% points)"), 0.0, 100.0,
                                 float(cur.min_effect_pp), 0.5, key=f"al_eff_{pick}")
        max_q = c8.number_input(tr("q máximo", "Maximum q"), 0.0, 1.0, float(cur.max_q), 0.005,
                                format="%.3f",
                                key=f"al_q_{pick}")
        volume = c9.number_input(tr("Volumen mínimo (comentarios desde el cambio)",
                                    "Minimum volume (comments since the shift)"), 0, None,
                                 int(cur.min_volume),
                                 10, key=f"al_vol_{pick}")
        recent = c10.number_input(tr("Solo cambios de los últimos N meses (0 = todos)",
                                     "Only shifts of the last N months (0 = all)"), 0, 120,
                                  int(cur.recent_months or 0), 1, key=f"al_recent_{pick}")
        metric = st.selectbox(tr("Medida", "Measure"), list(METRIC_LABEL),
                              list(METRIC_LABEL).index(cur.metric),
                              format_func=lambda v: _label(METRIC_LABEL, v), key=f"al_metric_{pick}",
                              placeholder=choose_one())
        enabled = st.checkbox(tr("Activa", "Enabled"), cur.enabled, key=f"al_on_{pick}")
        saved = st.form_submit_button(tr("Guardar regla", "Save rule"))
    if saved:
        auth.require("alerts")
        data = {"name": name, "dimension": dim, "key": [k for k in key.split(",") if k.strip()] or ANY,
                "polarity": pol, "metric": metric, "segment_type": seg_type,
                "segment": [s for s in seg.split(",") if s.strip()] or ANY, "direction": direction,
                "min_effect_pp": effect, "max_q": max_q, "min_volume": int(volume),
                "recent_months": int(recent) or None, "enabled": enabled}
        try:
            rule = alerts.save_rule(store, data, None if pick == NEW else pick)
        except alerts.RuleError as e:
            st.error(str(e))
        else:
            st.session_state["al_msg"] = tr(f"Regla «{rule.name}» guardada.",
                                            f"Rule “{rule.name}” saved.")
            st.session_state["al_pick_next"] = rule.rule_id
            st.rerun()
    if pick != NEW and st.button(tr("Eliminar esta regla", "Delete this rule"), key="al_delete"):
        auth.require("alerts")
        alerts.delete_rule(store, pick)
        st.session_state["al_msg"] = tr(f"Regla «{cur.name}» eliminada.", f"Rule “{cur.name}” deleted.")
        st.session_state["al_pick_next"] = NEW
        st.rerun()
if st.session_state.get("al_msg"):
    st.success(st.session_state.pop("al_msg"))

dash = [r for r in rules if r.source == "dashboard"]
if dash:
    st.download_button(tr("Descargar las reglas del panel (YAML)", "Download the dashboard's rules (YAML)"),
                       alerts.rules_to_yaml(dash), "sabor_alertas.yaml", "application/x-yaml", key="al_yaml")

if rules and st.button(tr("Probar las reglas con los cambios actuales",
                          "Try the rules on the current shifts"), key="al_preview"):
    with st.spinner(tr("Buscando cambios…", "Looking for shifts…")):
        shifts = refresh.current_shifts(store, alerts.dimensions_for(rules))
        pv = alerts.preview(rules, shifts, history.alerted_series(store), lang())
    if pv.empty:
        st.info(tr("Ningún cambio significativo actual cumple las reglas.",
                   "No current significant shift matches the rules."))
    else:
        st.dataframe(pv.rename(columns={"told": tr("ya avisado", "already told")}), hide_index=True,
                     width="stretch")

# ---- history -------------------------------------------------------------------------------------------
st.subheader(tr("Últimas actualizaciones", "Last refreshes"))
runs = history.refresh_runs(store)
if runs.empty:
    st.caption(tr("Aún no hubo actualizaciones (sabor refresh, sabor watch --refresh o SABOR_INBOX).",
                  "No refresh yet (sabor refresh, sabor watch --refresh or SABOR_INBOX)."))
else:
    st.dataframe(runs, hide_index=True, width="stretch")
files = history.inbox_files(store)
if not files.empty:
    with st.expander(tr(f"Archivos de la carpeta de entrada ({len(files)})", f"Inbox files ({len(files)})")):
        st.dataframe(files, hide_index=True, width="stretch")

st.subheader(tr("Alertas enviadas", "Alerts sent"))
sent = history.alerts_sent(store)
if sent.empty:
    st.caption(tr("Aún no hay alertas.", "No alerts yet."))
else:
    st.dataframe(sent, hide_index=True, width="stretch",
                 column_config={"link": st.column_config.LinkColumn(tr("enlace", "link"))})
    csv_download(sent, "sabor_alertas_enviadas.csv", key="dl_alerts")
