"""Readiness (`sabor health`, `python -m analysis.health`): database opens, model is there."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis.ops import health
from analysis.store import SCHEMA_VERSION
from tests.conftest import ROOT


def test_fresh_database_is_created_migrated_and_reported(tmp_path):
    path = tmp_path / "nueva" / "sabor.duckdb"
    db = health.readiness(path)["checks"]["database"]
    assert db["ok"] is True and db["schema_version"] == SCHEMA_VERSION and db["feedback_rows"] == 0
    assert path.is_file()


def test_counts_rows_after_an_upload(store):
    from analysis import ingest

    ingest.ingest_bytes(store, b"comentario,fecha\nRico ceviche,2026-01-02\nMuy salado,2026-01-03\n",
                        "r.csv")
    assert health.readiness(store.path)["checks"]["database"]["feedback_rows"] == 2


def test_corrupt_database_is_not_ready_with_a_clear_reason(tmp_path):
    bad = tmp_path / "sabor.duckdb"
    bad.write_bytes(b"esto no es una base DuckDB" * 100)
    result = health.readiness(bad)
    assert result["ready"] is False
    db = result["checks"]["database"]
    assert db["ok"] is False and str(bad) in db["error"] and "no se pudo abrir" in db["error"]


def test_database_held_by_the_running_app_counts_as_open(tmp_path):
    path = tmp_path / "sabor.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('ok', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        db = health.readiness(path)["checks"]["database"]
        assert db["ok"] is True and db["in_use_by_pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()


def test_active_model_is_reported(tmp_path):
    result = health.readiness(tmp_path / "sabor.duckdb")
    model = result["checks"]["model"]
    assert model["ok"] is True and model["version"], model
    assert result["ready"] is True


def test_inference_path_is_reported_and_a_bad_setting_is_not_ready(tmp_path, monkeypatch):

    from models import runtime


    monkeypatch.setitem(runtime.LOADED, "encoder", None)         # no model loaded in this process
    monkeypatch.setenv("SABOR_INFERENCE", "onnx")
    model = health.readiness(tmp_path / "sabor.duckdb")["checks"]["model"]
    assert model["ok"] is True and model["inference"] == {"path": "onnx", "source": "SABOR_INFERENCE"}
    monkeypatch.setenv("SABOR_INFERENCE", "gpu-please")
    result = health.readiness(tmp_path / "sabor.duckdb")
    assert result["ready"] is False
    assert "SABOR_INFERENCE='gpu-please'" in result["checks"]["model"]["error"]


def test_module_entry_point_prints_json_and_exit_code(tmp_path):
    bad = tmp_path / "sabor.duckdb"
    bad.write_bytes(b"x" * 5000)
    r = subprocess.run([sys.executable, "-m", "analysis.health", "--db", str(bad)],
                       capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["ready"] is False and out["checks"]["database"]["ok"] is False


def _with_predictions(store, days: list[int], sentiments: list[str]):
    """Comments dated 2026-03-01 + day, each with an active prediction of the given sentiment."""
    import pandas as pd

    from analysis import ingest

    rows = [f"c{i} sabor {i},{(pd.Timestamp('2026-03-01') + pd.Timedelta(days=d)).date()}"
            for i, d in enumerate(days)]
    ingest.ingest_bytes(store, ("comentario,fecha\n" + "\n".join(rows) + "\n").encode(), "q.csv")
    fb = store.query("SELECT feedback_id, text FROM feedback")
    order = fb["text"].str.extract(r"c(\d+) ")[0].astype(int)
    fb = fb.assign(sentiment=[sentiments[i] for i in order])
    preds = pd.DataFrame({"feedback_id": fb["feedback_id"], "model_version": "test-v1",
                          "sentiment": fb["sentiment"], "created_at": pd.Timestamp("2026-04-01")})
    with store.transaction() as cur:
        store.append(cur, "predictions", preds)


def test_sentiment_drift_measures_how_the_recent_mix_moved(store):
    # 60 comments in the 30 base days (all positive), 40 in the last 7 days (half negative).
    days = [i % 30 for i in range(60)] + [31 + i % 7 for i in range(40)]
    sentiments = ["positive"] * 60 + ["negative", "positive"] * 20
    _with_predictions(store, days, sentiments)
    assert health.sentiment_drift(store) == pytest.approx(0.5)


def test_sentiment_drift_is_none_without_enough_data(store):
    _with_predictions(store, [0, 1, 2, 35, 36], ["positive"] * 5)
    assert health.sentiment_drift(store) is None


def test_drift_gauge_is_served_at_scrape_time(store, exporter, monkeypatch):
    from prometheus_client.parser import text_string_to_metric_families

    from analysis.ops import metrics
    from tests.conftest import scrape

    days = [i % 30 for i in range(40)] + [31 + i % 7 for i in range(40)]
    _with_predictions(store, days, ["neutral"] * 40 + ["negative"] * 40)
    # Put the gauge back as it was once this test's store is gone.
    monkeypatch.setattr(metrics.SENTIMENT_DRIFT, "_child_samples", metrics.SENTIMENT_DRIFT._child_samples)
    health.watch_quality(store)
    values = {s.name: s.value for f in text_string_to_metric_families(scrape(*exporter)) for s in f.samples}
    assert values["sabor_sentiment_drift"] == pytest.approx(1.0)


def test_newest_feedback_age_is_served_at_scrape_time(store, exporter, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from prometheus_client.parser import text_string_to_metric_families

    from analysis.ingest import ingest_bytes
    from analysis.ops import metrics
    from tests.conftest import scrape

    assert health.newest_feedback_age(store) is None                      # no comment yet
    today = datetime.now(UTC).date()
    old, newest = today - timedelta(days=9), today - timedelta(days=4)
    ingest_bytes(store, (f"fecha,comentario\n{old:%d/%m/%Y},Muy rico el chifle de verdad\n"
                         f"{newest:%d/%m/%Y},Demasiado dulce la chicha morada\n"
                         "2026,Solo el año: no cuenta como el más nuevo\n").encode(), "f.csv")
    midnight = datetime(newest.year, newest.month, newest.day, tzinfo=UTC).timestamp()
    assert health.newest_feedback_age(store, now=midnight + 3600) == pytest.approx(3600)
    monkeypatch.setattr(metrics.NEWEST_FEEDBACK_AGE, "_child_samples",
                        metrics.NEWEST_FEEDBACK_AGE._child_samples)
    health.watch_freshness(store)
    values = {s.name: s.value for f in text_string_to_metric_families(scrape(*exporter)) for s in f.samples}
    assert 4 * 86400 <= values["sabor_newest_feedback_age_seconds"] < 5 * 86400     # past the 3-day alert


@pytest.mark.slow
def test_deep_check_loads_the_model(tmp_path):
    model = health.readiness(tmp_path / "sabor.duckdb", deep=True)["checks"]["model"]
    assert model["ok"] is True and model["loaded"] is True and model["weights_converted"] is True
    assert model["inference"]["source"] == "loaded"
    assert model["inference"]["path"] in ("torch", "onnx", "onnx-int8")
