"""Preguntar: ask the data in Spanish or English; the answer comes with its figure, chart, table and SQL."""
from __future__ import annotations

import os

import pandas as pd
import plotly.express as px
import streamlit as st

from analysis.ask import ask
from analysis.ask.answer import Answer, fmt_number
from analysis.ask.facts import load_facts
from analysis.ask.phrasing import suggestions
from analysis.store import audit
from dashboard import auth
from dashboard.common import csv_download, empty_state, get_store, lang, page_header, plotly_chart, tr
from dashboard.components.readiness import notice

# The answer's column names (the SQL's, kept as they are in `sabor ask --format json`) as the UI says them.
COLUMN_LABELS = {"comments": ("comentarios", "comments"), "complaints": ("quejas", "complaints"),
                 "mentions": ("menciones", "mentions"),
                 "avg_rating": ("calificación media", "average rating"),
                 "min_rating": ("calificación mínima", "lowest rating"),
                 "max_rating": ("calificación máxima", "highest rating"),
                 "pct_negative": ("% negativos", "% negative")}
HISTORY_KEY = "ask_history"
MAX_HISTORY = 30

auth.require("ask")
page_header("Preguntar", "Ask the data",
            "Pregunte en español o inglés. Cada respuesta muestra la cifra, el SQL que se ejecutó "
            "y un gráfico.",
            "Ask in Spanish or English. Every answer shows the figure, the SQL that ran and a chart.")


def _chart(a: Answer, i: int) -> None:
    df = a.frame()
    if a.chart == "number" or df.empty:
        return
    num = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    if a.chart == "line" and num:
        x = df.columns[0]
        if x in ("month", "date"):
            df[x] = pd.to_datetime(df[x])
        fig = px.line(df, x=x, y=num[-1], markers=True)
        fig.update_traces(line_color="#B3261E")
    elif a.chart == "bar" and num:
        cat = next(c for c in df.columns if c not in num)
        fig = px.bar(df, x=cat, y=num[0], text_auto=True)
        fig.update_traces(marker_color="#B3261E")
    else:
        return
    fig.update_layout(height=340, margin={"t": 20, "b": 10}, xaxis_title=None)
    plotly_chart(fig, key=f"ask_chart_{i}", width="stretch")


def render(a: Answer, i: int) -> None:
    with st.chat_message("user"):
        st.write(a.question)
    with st.chat_message("assistant"):
        if a.backend == "llm":
            st.badge("LLM", icon=":material/smart_toy:", color="violet")
        else:
            st.badge(tr("Asistente integrado", "Built-in answerer"), icon=":material/rule:", color="blue")
        if a.error:
            st.warning(a.sentence or a.answer)
            if a.notice:
                st.caption(a.notice)
            return
        if a.chart == "number" and a.rows:
            st.metric(tr(*COLUMN_LABELS.get(a.columns[0], (a.columns[0], a.columns[0]))),
                      fmt_number(a.rows[0][0], pct=a.columns[0].startswith("pct")))
        st.markdown(f"**{a.sentence}**")
        if a.notice:
            st.caption(a.notice)
        _chart(a, i)
        if a.chart != "number":
            st.dataframe(a.frame(), hide_index=True, width="stretch", key=f"ask_table_{i}")
            csv_download(a.frame(), f"sabor_respuesta_{i + 1}.csv", key=f"dl_ask_{i}")
        with st.expander(tr("SQL ejecutado", "SQL that ran")):
            st.code(a.sql, language="sql", wrap_lines=True)


if not empty_state():
    store = get_store()
    notice("preguntar", "analyze_preguntar")
    history: list[Answer] = st.session_state.setdefault(HISTORY_KEY, [])
    llm_on = bool(os.environ.get("OPENAI_API_KEY"))
    allow_rows = False
    if llm_on:
        allow_rows = st.toggle(tr("Enviar comentarios de ejemplo al LLM (datos personales anonimizados)",
                                  "Send sample comments to the LLM (personal data redacted)"),
                               value=False, key="ask_allow_rows")
    else:
        st.caption(tr("Sin LLM configurado (OPENAI_API_KEY): responde el asistente integrado.",
                      "No LLM configured (OPENAI_API_KEY): the built-in answerer replies."))

    facts = load_facts(store)
    examples = suggestions(facts, lang())
    st.write(tr("Preguntas de ejemplo:", "Example questions:"))
    cols = st.columns(3)
    pending = None
    for k, q in enumerate(examples):
        if cols[k % 3].button(q, key=f"ask_ex_{k}", width="stretch"):
            pending = q

    if facts.max_date:
        st.caption(tr(f"Las fechas relativas («el último trimestre», «desde junio») se cuentan desde el "
                      f"comentario más reciente: {facts.max_date:%d/%m/%Y}.",
                      f"Relative dates ('last quarter', 'since June') count from the latest comment: "
                      f"{facts.max_date:%Y-%m-%d}."))
    typed = st.chat_input(tr("Escriba su pregunta…", "Type your question…"), key="ask_input", max_chars=500)
    pending = typed or pending
    if pending:
        with st.spinner(tr("Consultando…", "Querying…")):
            answer = ask(store, pending, history=history, allow_rows=allow_rows)
        audit(store, auth.actor(), "ask", {"question": answer.question, "sql": answer.sql,
                                           "backend": answer.backend, "error": answer.error})
        history.append(answer)
        del history[:-MAX_HISTORY]

    for i, a in enumerate(history):
        render(a, i)
    if history and st.button(tr("Borrar conversación", "Clear conversation"), key="ask_clear"):
        st.session_state[HISTORY_KEY] = []
        st.rerun()
