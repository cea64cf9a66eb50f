"""Structured JSON logs: one JSON object per line on stderr, safe to ship to any log collector.

Every line carries `time`, `level`, `logger`, `event` and `session_id` (from a context variable the
dashboard sets per browser session and the CLI per command); `duration_ms` and other extras when given.
The level comes from `SABOR_LOG_LEVEL` (DEBUG, INFO, WARNING, ERROR; default INFO).

Privacy: feedback comments and questions are customer data. Extras named like text fields
(`text`, `comment`, `question`...) are never written; only their length is (`text_chars`).
Secrets: values of environment variables whose name looks secret (OPENAI_API_KEY, *_TOKEN,
*_PASSWORD...) and API-key-shaped strings are masked wherever they appear in a line.
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

session_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("sabor_session_id", default=None)

# Extras that may hold customer text: dropped, only their length is logged (numbers pass: rows=120).
SENSITIVE_FIELDS = frozenset({
    "text", "texts", "comment", "comments", "comentario", "comentarios", "review", "question", "pregunta",
    "prompt", "completion", "answer", "respuesta", "row", "rows", "verbatim", "content", "body",
})
# WEBHOOK: an incoming-webhook URL carries its token in the path (Slack, Teams).
_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|WEBHOOK)", re.IGNORECASE)
# Key-shaped strings even when not in the environment (OpenAI "sk-...", bearer tokens).
_SECRET_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{16,}"),
)
MASK = "***"
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_ROOTS = ("analysis", "models", "dashboard", "sabor")
_configured_lock = threading.Lock()
_handler: logging.Handler | None = None


def _secret_values() -> list[str]:
    # Read at format time: the key may be set after logging was configured (e.g. from the UI).
    vals = [v for k, v in os.environ.items() if _SECRET_ENV.search(k) and v and len(v) >= 6]
    return sorted(set(vals), key=len, reverse=True)


def mask_secrets(s: str) -> str:
    for v in _secret_values():
        s = s.replace(v, MASK)
    s = _SECRET_PATTERNS[0].sub(MASK, s)
    return _SECRET_PATTERNS[1].sub(lambda m: m.group(1) + MASK, s)


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):  # nested payloads get the same customer-text rule as top-level extras
        out = {}
        for k, x in v.items():
            if _sensitive(str(k), x):
                out[f"{k}_chars"] = _size(x)
            else:
                out[str(k)] = _jsonable(x)
        return out
    return str(v)


def _sensitive(key: str, value: Any) -> bool:
    return key.lower() in SENSITIVE_FIELDS and not isinstance(value, (int, float))  # counts are fine


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            "session_id": getattr(record, "session_id", None) or session_id.get(),
        }
        for key, value in record.__dict__.items():
            if key in _RESERVED or key in out:
                continue
            if _sensitive(key, value):
                out[f"{key}_chars"] = _size(value)
                continue
            out[key] = _jsonable(value)
        if "duration_ms" in out and isinstance(out["duration_ms"], float):
            out["duration_ms"] = round(out["duration_ms"], 1)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return mask_secrets(json.dumps(out, ensure_ascii=False, default=str))


def _size(value: Any) -> int | None:
    if isinstance(value, str):
        return len(value)
    try:
        return sum(len(str(x)) for x in value)
    except TypeError:
        return None


def level_from_env() -> int:
    name = os.environ.get("SABOR_LOG_LEVEL", "INFO").strip().upper()
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.INFO


def configure(stream=None, level: int | None = None) -> logging.Handler:
    """Install the JSON handler on the project's top-level loggers (idempotent; re-reads the level)."""
    global _handler
    with _configured_lock:
        if _handler is None or stream is not None:
            new = logging.StreamHandler(stream or sys.stderr)
            new.setFormatter(JsonFormatter())
            for root in _ROOTS:
                lg = logging.getLogger(root)
                if _handler is not None:
                    lg.removeHandler(_handler)
                lg.addHandler(new)
                # Own handler only: Streamlit/third-party root handlers must not print our lines twice.
                lg.propagate = False
            _handler = new
        lvl = level_from_env() if level is None else level
        for root in _ROOTS:
            logging.getLogger(root).setLevel(lvl)
        raw = os.environ.get("SABOR_LOG_LEVEL", "INFO").strip().upper()
        if level is None and not isinstance(logging.getLevelName(raw), int):
            logging.getLogger("sabor.logs").warning(
                "SABOR_LOG_LEVEL no reconocido; se usa INFO", extra={"value": raw[:20]})
        return _handler


def get_logger(name: str) -> logging.Logger:
    """A logger that writes JSON lines. Names outside the project's packages are put under `sabor.`."""
    if _handler is None:
        configure()
    if name.split(".")[0] not in _ROOTS:
        name = f"sabor.{name}"
    return logging.getLogger(name)


@contextmanager
def bind_session(sid: str | None) -> Iterator[None]:
    """Tag every log line inside the block with this session/request id."""
    token = session_id.set(sid)
    try:
        yield
    finally:
        session_id.reset(token)


@contextmanager
def timed(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> Iterator[dict]:
    """Log `event` with duration_ms when the block ends (with the exception when it fails).

    The yielded dict can be filled with more fields (e.g. rows=...) before the block ends.
    """
    start = time.perf_counter()
    extra = dict(fields)
    try:
        yield extra
    except BaseException:
        extra["duration_ms"] = (time.perf_counter() - start) * 1000
        extra["outcome"] = "error"
        logger.exception(event, extra=extra)
        raise
    extra["duration_ms"] = (time.perf_counter() - start) * 1000
    extra.setdefault("outcome", "ok")
    logger.log(level, event, extra=extra)
