"""Clean stop: SIGTERM (what Kubernetes sends on every rollout) in the middle of BERT scoring stops between
batches, keeps every committed batch, closes DuckDB and exits 0; the next run scores only the rest.
Real processes: `python -m analysis.cli analyze` and `sabor serve --analyze`."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from analysis.ingest import ingest_file
from analysis.store import Store
from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.slow
N_COMMENTS = 1000


@pytest.fixture
def db(tmp_path):
    """1,000 demo comments loaded, none scored."""
    src = pd.read_csv(ROOT / "data" / "demo_feedback.csv", dtype=str, keep_default_na=False).head(N_COMMENTS)
    f = tmp_path / "mil.csv"
    src.to_csv(f, index=False)
    path = tmp_path / "s.duckdb"
    s = Store.open(path)
    assert ingest_file(s, f).rows_loaded == N_COMMENTS
    s.close()
    return path


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                SABOR_METRICS_PORT="0", SABOR_LOG_LEVEL="INFO", SABOR_STOP_GRACE_S="20")


def _start(args: list[str]) -> tuple[subprocess.Popen, queue.Queue]:
    p = subprocess.Popen([sys.executable, "-m", "analysis.cli", *args], cwd=ROOT, env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()

    def pump():
        for line in p.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return p, lines


def _wait_for(lines: queue.Queue, seen: list[str], pred, timeout: float = 400) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=5)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if pred(rec):
            return rec
    raise AssertionError("never saw the expected log line:\n" + "".join(seen[-20:]))


def _drain(lines: queue.Queue, seen: list[str]) -> str:
    while True:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
    return "".join(seen)


def _committed(path) -> tuple[int, pd.DataFrame]:
    s = Store.open(path)
    try:
        preds = s.query("SELECT feedback_id, model_version, sentiment, sentiment_score FROM predictions")
        # a batch is all or nothing: every prediction has its food scan, every id is a loaded comment
        orphan = s.scalar("SELECT count(*) FROM predictions p LEFT JOIN food_scans f "
                          "USING (feedback_id, model_version) WHERE f.feedback_id IS NULL")
        unknown = s.scalar("SELECT count(*) FROM predictions WHERE feedback_id NOT IN "
                           "(SELECT feedback_id FROM feedback)")
        assert orphan == 0 and unknown == 0
        return s.feedback_count(), preds
    finally:
        s.close()


def test_sigterm_mid_scoring_exits_0_and_the_next_run_resumes(db):
    p, lines = _start(["--db", str(db), "analyze"])
    seen: list[str] = []
    _wait_for(lines, seen, lambda r: r.get("event") == "progress" and 0 < r.get("done", 0) < r["total"])
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    out = p.stdout.read()
    stopped_in = time.monotonic() - t0
    err = _drain(lines, seen)
    assert p.returncode == 0, err
    assert stopped_in < 20, stopped_in                     # well inside a pod's 30 s grace period
    assert "terminate called" not in err and "Traceback" not in err
    result = json.loads(out)
    assert result["stopped"] is True and 0 < result["scored"] < N_COMMENTS and result["pending"] > 0
    assert any(json.loads(x).get("event") == "stop_requested" for x in err.splitlines() if x.startswith("{"))
    n, first = _committed(db)
    assert 0 < len(first) < n

    # resumable: the next run scores only comments without a prediction, the committed ones stay as they were
    r = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), "analyze", "--limit", "128"],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    again = json.loads(r.stdout)
    assert again["scored"] == 128 and again["stopped"] is False
    assert again["pending"] == result["pending"] - 128 - again["cached"]
    _, second = _committed(db)
    kept = first.merge(second, on=["feedback_id", "model_version"], suffixes=("", "_after"))
    assert len(kept) == len(first)
    assert (kept["sentiment"] == kept["sentiment_after"]).all()
    assert len(second) == len(first) + 128 + again["cached"]


def test_sigterm_to_serve_with_background_scoring_exits_0(db):
    port = free_port()
    p, lines = _start(["--db", str(db), "serve", "--port", str(port), "--analyze"])
    seen: list[str] = []
    try:
        _wait_for(lines, seen, lambda r: r.get("event") == "background_analysis_progress" and r["done"] > 0)
    except AssertionError:
        p.kill()
        raise
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    err = _drain(lines, seen)
    assert p.returncode == 0, err
    assert "terminate called" not in err and "Traceback" not in err
    events = [json.loads(x).get("event") for x in err.splitlines() if x.startswith("{")]
    assert "background_analysis_stopped" in events and "stopped_cleanly" in events
    # every line Sabor and Streamlit wrote on stderr is a JSON line
    assert all(x.startswith("{") for x in err.splitlines() if x.strip()), err
    n, preds = _committed(db)
    assert 0 < len(preds) < n
