"""The WSGI entry point for gunicorn (the container's API-only mode, `SABOR_MODE=api`):

    gunicorn --config deployment/docker/gunicorn.conf.py analysis.api.wsgi:app

Imported in the single worker (no preload): the worker is the one process that opens the DuckDB file,
starts the /metrics exporter and the model-quality gauge, as `sabor serve` does for the dashboard.
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from analysis.api import create_app  # noqa: E402
from analysis.api.server import warm_up  # noqa: E402
from analysis.ops import health, metrics  # noqa: E402
from analysis.store import Store  # noqa: E402

metrics.start_exporter()
_store = Store.open()
_store.refresh_gauges()
health.watch_quality(_store)
warm_up(_store)
app = create_app(_store)
