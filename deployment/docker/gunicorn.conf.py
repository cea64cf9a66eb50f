"""gunicorn settings for the container's API-only mode (SABOR_MODE=api in deployment/docker/entrypoint.sh).

One worker process: DuckDB admits one writing process per database file, so more workers would fail to
open it. Concurrency comes from threads (gthread); the app shares one connection and takes a cursor per
thread. The app writes its own JSON access lines (analysis.api), so gunicorn's access log stays off.
"""
import os

bind = f"{os.environ.get('SABOR_API_ADDR', '0.0.0.0')}:{os.environ.get('SABOR_API_PORT', '8600')}"
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("SABOR_API_THREADS", "8"))
# The first report or insights request can take tens of seconds on 2 cores (model and charts).
timeout = 180
graceful_timeout = 25
preload_app = False        # the worker, not the master, opens DuckDB and starts /metrics
accesslog = None
errorlog = "-"
loglevel = os.environ.get("SABOR_LOG_LEVEL", "INFO").lower()
# Uploads are limited by the app (SABOR_MAX_UPLOAD_MB); the request line and headers by gunicorn.
limit_request_line = 8190
