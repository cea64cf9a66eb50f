"""A real Prometheus (Debian binary) scrapes the app's exporter on loopback and sees activity."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.deployment.conftest import free_port
from tests.deployment.test_metric_names import dashboard_exprs, rule_exprs

DEADLINE_S = 25


@pytest.fixture(scope="module")
def prometheus(prometheus_bin, exporter, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prom")
    addr, port = exporter
    cfg = tmp / "prometheus.yml"
    cfg.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: sabor\n    static_configs:\n"
        f"      - targets: ['{addr}:{port}']\n")
    web = f"127.0.0.1:{free_port()}"
    log = open(tmp / "prometheus.log", "w")  # noqa: SIM115 - held open for the server's lifetime
    proc = subprocess.Popen(
        [prometheus_bin, f"--config.file={cfg}", f"--storage.tsdb.path={tmp / 'data'}",
         f"--web.listen-address={web}", "--storage.tsdb.retention.time=1h", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://{web}", proc, tmp / "prometheus.log"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _query(base: str, expr: str) -> dict:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:  # 400 with {"status": "error", "error": "parse error ..."}
        return json.loads(e.read())


def _value(base: str, expr: str) -> float | None:
    try:
        res = _query(base, expr)["data"]["result"]
    except (OSError, ValueError):  # still starting: refused, or 503 "Service Unavailable" (not JSON)
        return None
    return float(res[0]["value"][1]) if res else None


def _wait(base, proc, logfile, what, pred, until):
    while time.monotonic() < until:
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited with {proc.returncode}: {logfile.read_text()[-2000:]}")
        if pred():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}; prometheus log: {logfile.read_text()[-1500:]}")


CSV = (
    "fecha,comentario,calificación,región\n"
    "2026-01-03,Muy rico el ceviche y bien servido,5,Lima\n"
    "2026-01-04,La papa a la huancaína estaba fría,2,Arequipa\n"
    "05/01/2026,Buen precio pero poca porción,3,Cusco\n"
    "2026-01-06,,4,Lima\n"  # no text: rejected
)


def test_prometheus_scrapes_target_and_sees_ingest(prometheus, store):
    from analysis import ingest
    from analysis.ops import metrics

    base, proc, logfile = prometheus
    until = time.monotonic() + DEADLINE_S
    metrics.FEEDBACK_ROWS_INGESTED.labels(kind="feedback")  # the series exists (at 0) before any upload
    _wait(base, proc, logfile, "target up", lambda: _value(base, 'up{job="sabor"}') == 1, until)
    expr = 'sum(sabor_feedback_rows_ingested_total{job="sabor", kind="feedback"})'
    _wait(base, proc, logfile, "a first sample of the ingest counter",
          lambda: _value(base, expr) is not None, until)
    before = _value(base, expr)
    report = ingest.ingest_bytes(store, CSV.encode(), "encuesta.csv")
    assert report.rows_loaded == 3
    _wait(base, proc, logfile, "the ingest counter to increase by the 3 loaded rows",
          lambda: (_value(base, expr) or 0) >= before + 3, until)
    assert _value(base, 'sabor_feedback_rows{job="sabor"}') is not None


def test_every_dashboard_and_alert_expression_is_valid_promql(prometheus):
    base, proc, logfile = prometheus
    until = time.monotonic() + DEADLINE_S
    _wait(base, proc, logfile, "prometheus ready", lambda: _value(base, "vector(1)") == 1, until)
    for expr in dashboard_exprs() + rule_exprs():
        res = _query(base, expr.replace("$__rate_interval", "1m"))
        assert res["status"] == "success", f"{expr}: {res}"
