"""Ask the data: a question in Spanish or English → guarded SQL over DuckDB → an Answer.

    from analysis.ask import ask
    a = ask(store, "¿Cuál fue la calificación promedio en Arequipa en 2024?")
    a.to_json()  # {"question","sql","columns","rows","answer","backend"}

The LLM answers when OPENAI_API_KEY is set (analysis.ask.llm); otherwise, or when it fails, the built-in
answerer does (analysis.ask.parser, sql, phrasing), and the answer says so. Both go through
analysis.ask.sqlguard.
"""
from __future__ import annotations

import logging

from analysis.ask.answer import Answer, chart_kind, frame_rows
from analysis.ask.facts import load_facts
from analysis.ask.intent import CannotParse, Intent
from analysis.ask.parser import parse
from analysis.ask.phrasing import cannot_answer_text, sentence
from analysis.ask.sql import to_sql
from analysis.ask.sqlguard import GuardError, run_guarded
from analysis.ask.vocabulary import detect_lang
from analysis.ops import metrics

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 500
_UNSET = object()


def _previous_intent(history) -> Intent | None:
    for h in reversed(list(history or [])):
        d = h.intent if isinstance(h, Answer) else (h.get("intent") if isinstance(h, dict) else None)
        if d:
            return Intent.from_dict(d)
    return None


def offline_answer(store, question: str, history=None, lang: str | None = None) -> Answer:
    lang = lang or detect_lang(question)
    facts = load_facts(store)
    prev = _previous_intent(history)
    if prev is None and history:
        # The previous answer came from the LLM: re-read its question so "¿y en Cusco?" still works.
        last_q = next((h.question if isinstance(h, Answer) else h.get("question")
                       for h in reversed(list(history))
                       if (h.question if isinstance(h, Answer) else h.get("question"))),
                      None)
        if last_q:
            try:
                prev = parse(last_q, facts)
            except CannotParse:
                prev = None
    try:
        intent = parse(question, facts, previous=prev)
        sql, _ = to_sql(intent)
    except CannotParse as e:
        text = cannot_answer_text(e, facts, lang)
        metrics.ASK_REQUESTS.labels(backend="offline", outcome="cannot_answer").inc()
        return Answer(question=question, answer=text, sentence=text, backend="offline", chart="table",
                      error="cannot_answer", lang=lang)
    except (KeyError, ValueError, TypeError) as e:
        # A combination of words the parser accepted but cannot express: say so, never a traceback.
        log.warning("built-in answerer could not build SQL: %s", type(e).__name__)
        text = cannot_answer_text(CannotParse(why="internal"), facts, lang)
        metrics.ASK_REQUESTS.labels(backend="offline", outcome="cannot_answer").inc()
        return Answer(question=question, answer=text, sentence=text, backend="offline", chart="table",
                      error="cannot_answer", lang=lang)
    try:
        res = run_guarded(store, sql)
    except GuardError as g:
        # Our own SQL refused or failed: a bug, never shown as a number.
        log.warning("built-in answerer SQL failed: %s", g.reason)
        metrics.ASK_REQUESTS.labels(backend="offline", outcome="error").inc()
        msg = g.message(lang)
        return Answer(question=question, sql=sql, answer=msg, sentence=msg, backend="offline", error=g.reason,
                      lang=lang, intent=intent.to_dict())
    columns, rows = frame_rows(res.df)
    text = sentence(intent, columns, rows, lang)
    metrics.ASK_REQUESTS.labels(backend="offline", outcome="ok").inc()
    # a single figure (a share comes with its counts beside it) is a number, whatever its columns
    chart = "number" if not intent.group and len(rows) == 1 else chart_kind(res.df)
    return Answer(question=question, sql=res.sql, columns=columns, rows=rows, answer=text, sentence=text,
                  backend="offline", chart=chart, lang=lang, intent=intent.to_dict())


def ask(store, question: str, history=None, allow_rows: bool = False, *, client=_UNSET) -> Answer:
    """Answer `question`. `history` holds previous Answers (follow-ups); `allow_rows` lets redacted sample
    comments go to the LLM. `client` overrides the LLM client from the environment (None = built-in only)."""
    q = " ".join(str(question or "").split())
    lang = detect_lang(q) if q else "es"
    if not q:
        msg = "Write a question." if lang == "en" else "Escribe una pregunta."
        metrics.ASK_REQUESTS.labels(backend="offline", outcome="bad_input").inc()
        return Answer(question="", answer=msg, sentence=msg, error="empty", lang=lang)
    if len(q) > MAX_QUESTION_CHARS:
        msg = (f"The question is too long (max {MAX_QUESTION_CHARS} characters)." if lang == "en"
               else f"La pregunta es demasiado larga (máximo {MAX_QUESTION_CHARS} caracteres).")
        metrics.ASK_REQUESTS.labels(backend="offline", outcome="bad_input").inc()
        return Answer(question=q, answer=msg, sentence=msg, error="too_long", lang=lang)

    if client is _UNSET:
        from models.llm import client_from_env

        client = client_from_env()
    if client is not None:
        from analysis.ask.llm import LLMFailure, llm_answer

        try:
            ans = llm_answer(store, q, client, lang, history=history, allow_rows=allow_rows)
            metrics.ASK_REQUESTS.labels(backend="llm", outcome="ok").inc()
            return ans
        except LLMFailure as e:
            metrics.ASK_REQUESTS.labels(backend="llm", outcome="fallback").inc()
            log.warning("LLM path failed (%s); using the built-in answerer", e.reason)
            notice = (f"({e.message_en}; the built-in answerer replied instead.)" if lang == "en"
                      else f"({e.message_es}; respondió el asistente integrado.)")
    else:
        notice = ("(Built-in answerer: no LLM configured.)" if lang == "en"
                  else "(Asistente integrado: no hay un LLM configurado.)")
    ans = offline_answer(store, q, history=history, lang=lang)
    ans.notice = notice
    ans.answer = f"{ans.sentence} {notice}"
    return ans


__all__ = ["Answer", "ask", "chart_kind", "offline_answer"]
