"""Prometheus metrics: every metric is defined here once, and the exporter is started once per process.

Streamlit re-executes page scripts and may re-import modules; registering a collector twice raises
"Duplicated timeseries", so each definition first looks up an existing collector by name.
Labels are low-cardinality enums only (page, model, backend, outcome, reason): never user text or ids.
"""
from __future__ import annotations

import os
import shutil
import threading

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

# Buckets sized for what each histogram times on a 2-core CPU.
_BATCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)
_QUERY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_LLM_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 60)
_FIT_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1200)
_INGEST_BUCKETS = (0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120)


def _get_or_create(cls, name: str, doc: str, labels: tuple[str, ...] = (), **kw):
    # prometheus_client strips "_total" from counter names in its registry map.
    key = name[: -len("_total")] if cls is Counter and name.endswith("_total") else name
    existing = REGISTRY._names_to_collectors.get(key) or REGISTRY._names_to_collectors.get(name)
    if existing is not None:
        return existing
    return cls(name, doc, labels, **kw)


FEEDBACK_ROWS_INGESTED = _get_or_create(
    Counter, "sabor_feedback_rows_ingested_total", "Feedback rows loaded into the database.", ("kind",))
INGEST_ROWS_REJECTED = _get_or_create(
    Counter, "sabor_ingest_rows_rejected_total", "Rows rejected at ingest, by reason.", ("reason",))
INGEST_DUPLICATES = _get_or_create(
    Counter, "sabor_ingest_rows_duplicate_total", "Rows skipped at ingest because already loaded.")
INGEST_ALREADY_LOADED = _get_or_create(
    Counter, "sabor_ingest_files_already_loaded_total", "Files not read again: the same bytes were loaded "
    "before.", ("kind",))
UPLOAD_ERRORS = _get_or_create(
    Counter, "sabor_upload_errors_total", "Uploads refused as a whole (bad file), by reason.", ("reason",))
INGEST_SECONDS = _get_or_create(
    Histogram, "sabor_ingest_seconds", "Time to ingest one file.", ("kind",), buckets=_INGEST_BUCKETS)

INFERENCE_SECONDS = _get_or_create(
    Histogram, "sabor_inference_seconds", "Model inference time per batch.", ("model",),
    buckets=_BATCH_BUCKETS)
INFERENCE_TEXTS = _get_or_create(
    Counter, "sabor_inference_texts_total", "Texts scored by a model.", ("model",))
SCORING_THROUGHPUT = _get_or_create(
    Gauge, "sabor_scoring_texts_per_second", "Texts scored per second by the running (or last) analysis run, "
    "by engine (local or ray).", ("engine",))
SCORING_WORKERS = _get_or_create(
    Gauge, "sabor_scoring_workers", "Scoring workers (Ray actors, or 1 process) of the last analysis run.",
    ("engine",))
INFERENCE_TRUNCATED = _get_or_create(
    Counter, "sabor_inference_truncated_total", "Texts longer than the model limit, truncated.", ("model",))
INFERENCE_PATH = _get_or_create(
    Gauge, "sabor_inference_path_info",
    "Encoder inference path in use (1 on the running one): torch, onnx or onnx-int8, by device and dtype.",
    ("path", "device", "dtype"))
PREDICTION_CACHE_HITS = _get_or_create(
    Counter, "sabor_prediction_cache_hits_total", "Texts whose prediction came from the cache.", ("model",))
PREDICTION_UNCERTAIN = _get_or_create(
    Counter, "sabor_prediction_uncertain_total",
    "Texts whose top sentiment probability was below the confidence threshold.", ("model",))
SENTIMENT_PREDICTIONS = _get_or_create(
    Counter, "sabor_sentiment_predictions_total", "Sentiment predictions by class.", ("model", "sentiment"))
SENTIMENT_DRIFT = _get_or_create(
    Gauge, "sabor_sentiment_drift",
    "Total variation distance between the last 7 days' sentiment mix and the previous 30 days'.")

TOPIC_FIT_SECONDS = _get_or_create(
    Histogram, "sabor_topic_model_fit_seconds", "BERTopic fit time.", buckets=_FIT_BUCKETS)
TOPIC_OUTLIER_SHARE = _get_or_create(
    Gauge, "sabor_topic_outlier_share", "Share of comments left unassigned by the last topic run.")

QUERY_SECONDS = _get_or_create(
    Histogram, "sabor_query_seconds", "DuckDB query time.", ("kind",), buckets=_QUERY_BUCKETS)
ASK_REQUESTS = _get_or_create(
    Counter, "sabor_ask_requests_total", "Questions answered, by backend and outcome.",
    ("backend", "outcome"))
LLM_REQUEST_SECONDS = _get_or_create(
    Histogram, "sabor_llm_request_seconds", "LLM HTTP request time.", ("outcome",), buckets=_LLM_BUCKETS)
LLM_TOKENS = _get_or_create(
    Counter, "sabor_llm_tokens_total", "LLM tokens, by kind (prompt/completion).", ("kind",))
LLM_ERRORS = _get_or_create(
    Counter, "sabor_llm_errors_total", "LLM calls that failed, by reason.", ("reason",))
SQL_GUARD_REJECTIONS = _get_or_create(
    Counter, "sabor_sql_guard_rejections_total", "SQL refused by the guard, by reason.", ("reason",))

# HTTP API: one child per (method, route template, status). The route is the rule ("/api/v1/jobs/<job_id>"),
# never the raw path, and "unmatched" for paths no route serves: the label set stays small.
_API_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
API_REQUESTS = _get_or_create(
    Counter, "sabor_api_requests_total", "HTTP API requests, by method, route and status.",
    ("method", "route", "status"))
API_REQUEST_SECONDS = _get_or_create(
    Histogram, "sabor_api_request_seconds", "HTTP API request time, by method and route.",
    ("method", "route"),
    buckets=_API_BUCKETS)

PAGE_VIEWS = _get_or_create(Counter, "sabor_page_views_total", "Dashboard page views.", ("page",))
ACTIVE_SESSIONS = _get_or_create(Gauge, "sabor_active_sessions",
                                 "Browser sessions seen in the last 5 minutes.")
DB_SIZE_BYTES = _get_or_create(Gauge, "sabor_db_size_bytes", "Size of the DuckDB file.")
FEEDBACK_ROWS = _get_or_create(Gauge, "sabor_feedback_rows", "Rows in the feedback table.")

# Regular collection and alerts (analysis/ops/refresh.py, inbox.py, notify.py).
_REFRESH_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600)
REFRESH_RUNS = _get_or_create(
    Counter, "sabor_refresh_runs_total", "Refresh runs, by outcome (ok, partial, failed).", ("outcome",))
REFRESH_SECONDS = _get_or_create(
    Histogram, "sabor_refresh_seconds", "Time of one refresh run (all its stages).", buckets=_REFRESH_BUCKETS)
INBOX_FILES = _get_or_create(
    Counter, "sabor_inbox_files_total", "Files taken from the inbox, by outcome (loaded, failed, duplicate).",
    ("outcome",))
ALERT_DELIVERIES = _get_or_create(
    Counter, "sabor_alert_deliveries_total",
    "Alert delivery attempts, by channel and outcome (sent, failed).",
    ("channel", "outcome"))
NEWEST_FEEDBACK_AGE = _get_or_create(
    Gauge, "sabor_newest_feedback_age_seconds",
    "Seconds since the date of the newest comment (comments dated to the day; NaN when there are none).")


# --- Operations: free space of the volume that holds the DuckDB file, read at scrape time so
# the disk-full alert works without node-exporter and without anyone remembering to refresh it.
def _db_dir() -> str:
    env = os.environ.get("SABOR_DB")
    path = os.path.expanduser(env) if env else os.path.join(os.path.expanduser("~"), ".sabor", "sabor.duckdb")
    d = os.path.dirname(os.path.abspath(path))
    while d and not os.path.exists(d):  # before the first start the folder may not exist yet
        d = os.path.dirname(d) if os.path.dirname(d) != d else ""
    return d or "/"


def _volume(field: str) -> float:
    try:
        return float(getattr(shutil.disk_usage(_db_dir()), field))
    except OSError:
        return float("nan")


DB_VOLUME_FREE_BYTES = _get_or_create(
    Gauge, "sabor_db_volume_free_bytes", "Free bytes on the volume holding the DuckDB file.")
DB_VOLUME_CAPACITY_BYTES = _get_or_create(
    Gauge, "sabor_db_volume_capacity_bytes", "Size in bytes of the volume holding the DuckDB file.")
DB_VOLUME_FREE_BYTES.set_function(lambda: _volume("free"))
DB_VOLUME_CAPACITY_BYTES.set_function(lambda: _volume("total"))

# The exporter's state lives on the registry object, which survives a re-import of this module
# (a module-level flag would be reset and a second server started).
_lock = getattr(REGISTRY, "_sabor_exporter_lock", None) or threading.Lock()
REGISTRY._sabor_exporter_lock = _lock


def metrics_address() -> tuple[str, int]:
    return (os.environ.get("SABOR_METRICS_ADDR", "127.0.0.1"),
            int(os.environ.get("SABOR_METRICS_PORT", "9108")))


def start_exporter() -> tuple[str, int] | None:
    """Start the /metrics HTTP server once per process; returns (addr, port) or None if the port is taken."""
    with _lock:
        started = getattr(REGISTRY, "_sabor_exporter", None)
        if started is not None:
            return started
        addr, port = metrics_address()
        if port == 0:
            return None
        try:
            start_http_server(port, addr=addr)
        except OSError:
            # Another process (an older app instance, a second worker) already serves this port.
            return None
        REGISTRY._sabor_exporter = (addr, port)
        return REGISTRY._sabor_exporter
