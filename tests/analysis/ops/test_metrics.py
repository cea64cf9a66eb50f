"""The metrics exporter: started once per process, counters move after an ingest, scraped over HTTP."""
from __future__ import annotations

import importlib
import re
import socket
import urllib.request

from analysis.ingest import ingest_bytes
from analysis.ops import metrics


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(addr) -> str:
    with urllib.request.urlopen(f"http://{addr[0]}:{addr[1]}/metrics", timeout=5) as r:
        return r.read().decode()


def _value(text: str, name: str, labels: str = "") -> float:
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(m.group(1)) if m else 0.0


def test_counters_move_after_an_ingest_over_http(store, monkeypatch):
    monkeypatch.setenv("SABOR_METRICS_PORT", str(_free_port()))
    addr = metrics.start_exporter()
    assert addr is not None and addr[0] == "127.0.0.1"
    before = _scrape(addr)
    data = b"comentario,fecha\nrico,01/01/2024\nmuy dulce,02/01/2024\n,03/01/2024\n"
    ingest_bytes(store, data, "m.csv")
    after = _scrape(addr)
    key = "sabor_feedback_rows_ingested_total"
    assert _value(after, key, '{kind="feedback"}') - _value(before, key, '{kind="feedback"}') == 2
    rej = "sabor_ingest_rows_rejected_total"
    assert _value(after, rej, '{reason="empty_text"}') - _value(before, rej, '{reason="empty_text"}') == 1
    assert _value(after, "sabor_feedback_rows") >= 2


def test_exporter_starts_once_and_reimport_does_not_duplicate(monkeypatch):
    first = metrics.start_exporter()
    assert metrics.start_exporter() == first
    # Streamlit re-executes modules: redefining every metric must reuse the registered collectors.
    reloaded = importlib.reload(metrics)
    assert reloaded.FEEDBACK_ROWS_INGESTED is not None
    assert reloaded.start_exporter() == first


def test_upload_errors_are_counted(store):
    from analysis.ingest import IngestError

    before = metrics.UPLOAD_ERRORS.labels(reason="empty_file")._value.get()
    try:
        ingest_bytes(store, b"", "vacio.csv")
    except IngestError:
        pass
    assert metrics.UPLOAD_ERRORS.labels(reason="empty_file")._value.get() == before + 1
