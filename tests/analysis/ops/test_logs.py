"""Structured JSON logs: fields, level from SABOR_LOG_LEVEL, no customer text, no secrets."""
from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from analysis.ops import logs


@pytest.fixture
def capture(monkeypatch):
    """Route the project's loggers to a buffer at the level SABOR_LOG_LEVEL gives; restore afterwards."""
    def make(level: str = "INFO") -> io.StringIO:
        monkeypatch.setenv("SABOR_LOG_LEVEL", level)
        buf = io.StringIO()
        logs.configure(stream=buf)
        return buf

    original = logs.level_from_env()
    yield make
    logs.configure(stream=sys.stderr, level=original)


def lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(x) for x in buf.getvalue().splitlines() if x.strip()]


def test_json_lines_with_standard_fields_and_session_id(capture):
    buf = capture("INFO")
    log = logs.get_logger("analysis.ingest")
    with logs.bind_session("sess-42"):
        log.info("upload_loaded", extra={"rows": 120, "duration_ms": 35.27})
    log.info("outside_session")
    first, second = lines(buf)
    assert first["event"] == "upload_loaded" and first["level"] == "INFO"
    assert first["logger"] == "analysis.ingest"
    assert first["session_id"] == "sess-42" and first["rows"] == 120 and first["duration_ms"] == 35.3
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert second["session_id"] is None


def test_timed_block_reports_duration_and_errors(capture):
    buf = capture("INFO")
    log = logs.get_logger("models.sentiment")
    with logs.timed(log, "batch_scored", model="sentiment") as f:
        f["texts"] = 64  # a count is fine; 'texts' as a list would be customer data
    with pytest.raises(ValueError), logs.timed(log, "batch_scored", model="sentiment"):
        raise ValueError("boom")
    ok, err = lines(buf)
    assert ok["duration_ms"] >= 0 and ok["outcome"] == "ok" and ok["model"] == "sentiment"
    assert err["level"] == "ERROR" and err["outcome"] == "error" and "ValueError: boom" in err["exc"]


def test_comment_text_is_never_written(capture):
    buf = capture("DEBUG")
    comment = "El ají de gallina estaba frío y la atención pésima, Juan Pérez 987654321"
    log = logs.get_logger("analysis.ops.scoring")
    log.info("row_classified", extra={"text": comment, "question": "¿qué opinan de Lima?",
                                      "sentiment": "neg"})
    log.debug("debug_row", extra={"comment": comment})
    log.info("nested", extra={"payload": {"text": comment, "rating": 2}})
    out = buf.getvalue()
    assert "ají de gallina" not in out and "qué opinan" not in out
    first, second, third = lines(buf)
    assert first["text_chars"] == len(comment) and first["sentiment"] == "neg"
    assert second["comment_chars"] == len(comment)
    assert third["payload"] == {"text_chars": len(comment), "rating": 2}


def test_level_comes_from_env(capture):
    buf = capture("WARNING")
    log = logs.get_logger("dashboard.app")
    log.info("hidden")
    log.warning("shown")
    assert [x["event"] for x in lines(buf)] == ["shown"]


def test_unknown_level_falls_back_to_info_and_says_so(capture):
    buf = capture("VERBOSE")
    logs.get_logger("analysis.x").info("visible")
    events = [(x["level"], x["event"]) for x in lines(buf)]
    assert ("INFO", "visible") in events
    assert any(level == "WARNING" and "SABOR_LOG_LEVEL" in ev for level, ev in events)


def test_secrets_are_masked(capture, monkeypatch):
    secret = "sk-live-1234567890abcdefghijklmnop"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("SABOR_DB_PASSWORD", "hunter2hunter2")
    buf = capture("INFO")
    log = logs.get_logger("models.llm")
    log.warning(f"llm call failed with key {secret}",
                extra={"headers": {"Authorization": f"Bearer {secret}"}})
    log.error("connect failed: postgres://u:hunter2hunter2@db")
    log.info("token seen sk-proj-ABCDEFGHIJKLMNOPQRSTUV in a message")
    out = buf.getvalue()
    assert secret not in out and "hunter2hunter2" not in out and "sk-proj-ABCDEFGH" not in out
    assert out.count(logs.MASK) >= 4
    assert all(isinstance(x, dict) for x in lines(buf))  # masking keeps each line valid JSON


def test_other_loggers_are_namespaced_and_not_duplicated(capture):
    buf = capture("INFO")
    log = logs.get_logger("worker")
    assert log.name == "sabor.worker"
    log.info("once")
    assert len(lines(buf)) == 1
    assert logging.getLogger("analysis").propagate is False
