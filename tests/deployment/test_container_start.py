"""The container's start sequence (deployment/docker/entrypoint.sh), run on this machine on loopback ports.

No Docker engine here, so the entry point runs directly with the image's environment variables pointed
at a temp database: it must check readiness, load the demo data when asked, and serve /metrics from the
start (before any browser visits) next to Streamlit's /_stcore/health.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.deployment.conftest import ROOT, free_port

ENTRYPOINT = ROOT / "deployment" / "docker" / "entrypoint.sh"


def _env(tmp_path, **extra) -> dict[str, str]:
    # In the image `python` is the one with the requirements; here that is the interpreter running the
    # tests (make test calls .venv/bin/python without activating the venv).
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "SABOR_DB": str(tmp_path / "data" / "sabor.duckdb"),
            "SABOR_LOG_LEVEL": "INFO", "SABOR_API_ADDR": "127.0.0.1", "SABOR_API_PORT": str(free_port()),
            "SABOR_METRICS_ADDR": "127.0.0.1", "STREAMLIT_SERVER_ADDRESS": "127.0.0.1", **extra}


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.read().decode()
    except OSError:
        return None


@pytest.fixture
def started(tmp_path):
    procs = []

    def start(**extra) -> subprocess.Popen:
        log = open(tmp_path / "container.log", "w")  # noqa: SIM115 - held open for the process's lifetime
        p = subprocess.Popen(["sh", str(ENTRYPOINT)], env=_env(tmp_path, **extra), stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((p, log))
        return p

    yield start
    for p, log in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)  # the session this test started: sh → python/streamlit
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        log.close()


def test_start_serves_health_and_metrics_with_the_demo_loaded(started, tmp_path):
    web, prom, api = free_port(), free_port(), free_port()
    p = started(STREAMLIT_SERVER_PORT=str(web), SABOR_METRICS_PORT=str(prom), SABOR_LOAD_DEMO="1",
                SABOR_API_PORT=str(api))
    deadline = time.monotonic() + 90
    while _get(f"http://127.0.0.1:{web}/_stcore/health") != "ok":
        assert p.poll() is None, (tmp_path / "container.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "Streamlit did not become healthy in 90 s"
        time.sleep(0.5)
    # No browser has opened the app: /metrics must answer anyway.
    text = _get(f"http://127.0.0.1:{prom}/metrics")
    assert text is not None, "the exporter is not serving before the first visit"
    values = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    assert values["sabor_feedback_rows"] > 1000, "the demo data should be loaded and counted"
    assert values["sabor_db_size_bytes"] > 0 and values["sabor_db_volume_free_bytes"] > 0
    assert (tmp_path / "data" / "sabor.duckdb").is_file()
    logs = [json.loads(x) for x in (tmp_path / "container.log").read_text().splitlines() if x.startswith("{")]
    assert any(x["event"] == "metrics_exporter_started" and x["port"] == prom for x in logs)
    # The API answers from the same process (one DuckDB writer): public health, 401 without a token.
    with urllib.request.urlopen(f"http://127.0.0.1:{api}/api/v1/health", timeout=30) as r:
        assert json.loads(r.read())["ready"] is True
    assert _status(f"http://127.0.0.1:{api}/api/v1/trends?by=attribute") == 401
    assert any(x["event"] == "api_started" and x["port"] == api for x in logs)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_api_only_mode_serves_the_api_with_gunicorn(started, tmp_path):
    """SABOR_MODE=api: gunicorn, one worker that owns the database, /metrics from that worker."""
    db = tmp_path / "data" / "sabor.duckdb"
    db.parent.mkdir()
    r = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), "token", "create", "--role",
                        "viewer", "--name", "bi", "--format", "json"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120, env=_env(tmp_path))
    assert r.returncode == 0, r.stderr
    token = json.loads(r.stdout)["token"]
    api, prom = free_port(), free_port()
    p = started(SABOR_MODE="api", SABOR_API_PORT=str(api), SABOR_METRICS_PORT=str(prom))
    deadline = time.monotonic() + 120
    while _get(f"http://127.0.0.1:{api}/api/v1/health") is None:
        assert p.poll() is None, (tmp_path / "container.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "the API did not answer in 120 s"
        time.sleep(0.5)
    assert _status(f"http://127.0.0.1:{api}/api/v1/uploads") == 401
    req = urllib.request.Request(f"http://127.0.0.1:{api}/api/v1/uploads",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and json.loads(resp.read())["items"] == []
    text = _get(f"http://127.0.0.1:{prom}/metrics")
    assert text is not None and "sabor_api_requests_total" in text
    log = (tmp_path / "container.log").read_text()
    assert "gunicorn" in log.lower() and token not in log


def test_start_fails_fast_with_the_reason_when_the_database_is_unusable(started, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sabor.duckdb").write_bytes(b"not a duckdb file" * 500)
    p = started(STREAMLIT_SERVER_PORT=str(free_port()), SABOR_METRICS_PORT=str(free_port()))
    assert p.wait(timeout=120) == 1
    out = (tmp_path / "container.log").read_text()
    assert "no se pudo abrir la base de datos" in out and "la comprobación de arranque falló" in out
