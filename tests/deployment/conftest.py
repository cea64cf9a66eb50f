"""Fixtures for the operations tests: real promtool/prometheus binaries and the app's own exporter."""
from __future__ import annotations

import os
import re
import shutil
import socket
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deployment"
INSTALL_HINT = "install it with `bash scripts/install_system_deps.sh` (Debian package `prometheus`)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` not found on PATH: {INSTALL_HINT}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return _binary("promtool")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    return _binary("prometheus")


@pytest.fixture(scope="session")
def exporter() -> tuple[str, int]:
    """The app's /metrics exporter, started in this process on a free loopback port."""
    from analysis.ops import metrics

    # start_exporter() returns the running exporter if this process already started one.
    old = {k: os.environ.get(k) for k in ("SABOR_METRICS_ADDR", "SABOR_METRICS_PORT")}
    os.environ["SABOR_METRICS_ADDR"] = "127.0.0.1"
    os.environ["SABOR_METRICS_PORT"] = str(free_port())
    try:
        started = metrics.start_exporter()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert started is not None, "the metrics exporter could not bind its port"
    addr, port = started
    assert addr == "127.0.0.1", f"tests must scrape a loopback exporter, got {addr}"
    return addr, port


def scrape(addr: str, port: int) -> str:
    with urllib.request.urlopen(f"http://{addr}:{port}/metrics", timeout=5) as r:
        assert r.status == 200
        return r.read().decode()


# Metric names in PromQL: identifiers that start with the app's prefix or a process/python collector's.
METRIC_RE = re.compile(r"\b((?:sabor|process|python)_[a-zA-Z0-9_]+)\b")
