"""analysis.ops.readiness: one state of the data for the pages, `sabor health` and GET /api/v1/readiness."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from analysis.ingest import ingest_bytes
from analysis.ops import readiness
from analysis.ops.jobs import JobState
from analysis.store import Store
from tests.conftest import ROOT

CSV = ("comentario,fecha\nRico ceviche,2026-01-02\nMuy salado el lomo,2026-01-03\n"
       "La chicha muy dulce,2026-02-03\n").encode()


def _score(store: Store, n: int) -> None:
    ids = store.query("SELECT feedback_id FROM feedback ORDER BY feedback_id LIMIT ?", [n])["feedback_id"]
    with store.transaction() as cur:
        Store.append(cur, "predictions", pd.DataFrame({
            "feedback_id": ids, "model_version": "test-v", "sentiment": "positive",
            "created_at": pd.Timestamp("2026-01-01")}))


def test_empty_then_pending_then_ready(store):
    idle = JobState()
    assert readiness.compute(store, idle).state == "empty"
    ingest_bytes(store, CSV, "r.csv")
    r = readiness.compute(store, idle)
    assert (r.state, r.comments, r.scored, r.pending) == ("pending", 3, 0, 3)
    assert not r.trends_ready and not r.scored_ready and not r.topics_ready
    _score(store, 1)
    r = readiness.compute(store, idle)
    assert (r.state, r.pending, round(r.fraction, 3)) == ("pending", 2, 0.333)
    rest = store.query("SELECT feedback_id FROM feedback ORDER BY feedback_id OFFSET 1")
    assert len(rest) == 2
    with store.transaction() as cur:
        Store.append(cur, "predictions", pd.DataFrame({
            "feedback_id": rest["feedback_id"], "model_version": "test-v", "sentiment": "negative",
            "created_at": pd.Timestamp("2026-01-01")}))
    r = readiness.compute(store, idle)
    assert (r.state, r.pending, r.trends_ready, r.topics_ready) == ("ready", 0, True, False)


def test_a_running_job_is_scoring_and_trends_are_not_final(store):
    ingest_bytes(store, CSV, "r.csv")
    _score(store, 3)
    job = JobState(running=True, done=1, total=3, started=1.0)
    r = readiness.compute(store, job)
    # every comment has a prediction (an older model's) but a job is still writing: not final yet
    assert r.state == "scoring" and r.running and not r.trends_ready
    job.phase = "topics"
    r = readiness.compute(store, job)
    # scoring is over: taste and food shifts are final; topic shifts wait for the topics
    assert r.state == "topics" and r.trends_ready and not r.topics_ready
    d = readiness.compute(store, job).to_dict()
    assert d["state"] == "topics" and d["job_status"] == "running" and d["job_total"] == 3
    json.dumps(d)   # plain JSON for the API and the CLI


def test_a_failed_job_with_comments_left_says_failed(store):
    ingest_bytes(store, CSV, "r.csv")
    job = JobState(error="RuntimeError: sin memoria", finished=2.0)
    r = readiness.compute(store, job)
    assert r.state == "failed" and r.job_error == "RuntimeError: sin memoria"


def test_topics_are_ready_only_when_the_current_run_covers_every_comment(store):
    ingest_bytes(store, CSV, "r.csv")
    _score(store, 3)
    ids = store.query("SELECT feedback_id FROM feedback ORDER BY feedback_id")["feedback_id"].tolist()
    with store.transaction() as cur:
        cur.execute("INSERT INTO topic_runs (run_id, created_at, is_current, n_docs, n_topics) "
                    "VALUES ('r1', now(), true, 2, 1)")
        Store.append(cur, "feedback_topics", pd.DataFrame(
            {"feedback_id": ids[:2], "topic_id": 0, "prob": 0.9, "run_id": "r1"}))
    r = readiness.compute(store, JobState())
    assert r.topics_fitted and r.topics_pending == 1 and not r.topics_ready
    with store.transaction() as cur:
        Store.append(cur, "feedback_topics", pd.DataFrame(
            {"feedback_id": ids[2:], "topic_id": 0, "prob": 0.8, "run_id": "r1"}))
    r = readiness.compute(store, JobState())
    assert r.topics_ready and r.topics_pending == 0


def test_sabor_health_reports_the_same_state(tmp_path):
    db = tmp_path / "h.duckdb"
    s = Store.open(db)
    ingest_bytes(s, CSV, "r.csv")
    _score(s, 1)
    s.close()
    out = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), "health"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    data = json.loads(out.stdout)["checks"]["database"]["data"]
    assert (data["state"], data["comments"], data["scored"], data["pending"]) == ("pending", 3, 1, 2)
    assert data["trends_ready"] is False


def test_api_readiness_needs_a_token_and_answers_the_state(tmp_path):
    from analysis.api import create_app
    from tests.analysis.api.conftest import PREFIX, bearer, make_tokens

    s = Store.open(tmp_path / "api.duckdb")
    try:
        ingest_bytes(s, CSV, "r.csv")
        _score(s, 2)
        client = create_app(s, rate_limit=0).test_client()
        assert client.get(PREFIX + "/readiness").status_code == 401
        tokens = make_tokens(s, "rd")
        r = client.get(PREFIX + "/readiness", headers=bearer(tokens["viewer"]))
        assert r.status_code == 200, r.get_data(as_text=True)
        body = r.get_json()
        assert (body["state"], body["comments"], body["scored"], body["pending"]) == ("pending", 3, 2, 1)
        op = client.get(PREFIX + "/openapi.json").get_json()["paths"][PREFIX + "/readiness"]["get"]
        assert op["security"] and "ReadinessOut" in str(op["responses"]["200"])
    finally:
        s.close()
