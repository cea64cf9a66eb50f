"""One refresh (inbox -> score -> topics -> trends -> alerts -> run record) on the demo with its truth as the
model output (a private copy of the shared fixture): a rule for one planted shift sends exactly one alert
per channel to real receivers on 127.0.0.1, a second refresh sends none; stages run one by one as an
orchestrator would; failures make the run partial and are retried later."""
from __future__ import annotations

import json

import pytest

from analysis.ops import metrics, notify
from analysis.ops.refresh import RefreshConfig, run_refresh, run_stage, summary, topic_action
from analysis.store import Store
from analysis.store import refresh as rstore
from tests.alert_servers import SmtpServer, WebhookReceiver

# S3 of the demo (data/README.md): packaging complaints about the kiwicha biscuits from 2025-10.
RULES = """rules:
  - name: Empaque roto
    dimension: attribute
    key: empaque
    polarity: negative
    direction: up
    min_effect_pp: 5
    max_q: 0.01
    min_volume: 100
"""
FAST = frozenset({"score", "topics"})      # the truth fixture is the model output; no topic fit needed here
NO_WAIT = notify.RetryPolicy(attempts=2, base_s=0.0, later_s=0.0, max_attempts=5)


@pytest.fixture
def demo(demo_truth_copy):
    s = Store.open(demo_truth_copy)
    yield s
    s.close()


@pytest.fixture
def rules_file(tmp_path):
    p = tmp_path / "reglas.yaml"
    p.write_text(RULES, encoding="utf-8")
    return str(p)


def cfg(rules_file, **kw) -> RefreshConfig:
    base = dict(rules_file=rules_file, skip=FAST, retry=NO_WAIT, dimensions=("attribute",),
                sleep=lambda s: None)
    return RefreshConfig(**(base | kw))


def test_a_rule_for_one_planted_shift_sends_one_alert_per_channel_then_none(demo, rules_file, tmp_path,
                                                                            monkeypatch):
    runs0 = metrics.REFRESH_RUNS.labels(outcome="ok")._value.get()
    with WebhookReceiver() as hook, SmtpServer(tmp_path) as smtp:
        monkeypatch.setenv("SABOR_ALERT_WEBHOOK_URL", hook.url)
        for k, v in smtp.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("SABOR_PUBLIC_URL", "https://sabor.example.pe")
        first = run_refresh(demo, cfg(rules_file))
        second = run_refresh(demo, cfg(rules_file))
    assert (first["status"], first["alerts_new"], first["alerts_sent"]) == ("ok", 1, 1)
    assert first["deliveries_failed"] == 0
    assert first["shifts_found"] > 10 and first["files_loaded"] == 0 and first["scored"] == 0
    (alert,) = first["alerts"]
    assert alert["sentence"].startswith("empaque negativo ↑ en Galletas de kiwicha desde octubre 2025: "
                                        "1.7% → 26.5%")
    assert alert["deliveries"] == {"email": {"status": "sent", "attempts": 1, "last_error": None},
                                   "webhook": {"status": "sent", "attempts": 1, "last_error": None}}
    assert len(hook.requests) == 1 and len(smtp.messages) == 1                 # one message per channel
    body = hook.requests[0].body["alert"]
    assert body["sentence"] == alert["sentence"] and len(body["comments"]) == 3
    assert all(c.strip() for c in body["comments"])
    assert body["link"] == ("https://sabor.example.pe/tendencias?by=attribute&key=empaque&from=2025-10"
                            "&segment_type=product&segment=Galletas+de+kiwicha")
    assert body["shift"]["n_after"] == 166 and body["shift"]["k_after"] == 44
    assert body["rules"] == ["Empaque roto"]
    # the second refresh in a row: nothing loaded, nothing rescanned, nothing sent
    assert (second["status"], second["alerts_new"], second["alerts_sent"]) == ("ok", 0, 0)
    assert second["stages"]["trends"]["unchanged"] is True
    assert second["shifts_found"] == first["shifts_found"]
    assert metrics.REFRESH_RUNS.labels(outcome="ok")._value.get() - runs0 == 2
    runs = rstore.refresh_runs(demo)
    assert runs["run_id"].tolist()[:2] == [second["run_id"], first["run_id"]]
    assert (runs["status"] == "ok").all() and runs["seconds"].notna().all()


def test_stages_run_one_by_one_as_an_orchestrator_would(demo, rules_file):
    c = cfg(rules_file, channels=[])
    for stage in ("inbox", "score", "topics", "trends"):
        run_stage(demo, stage, "airflow-run-1", c)
        assert rstore.get_run(demo, "airflow-run-1")["status"] == "running"
    res = run_stage(demo, "alerts", "airflow-run-1", c)
    assert res["matched"] >= 1 and len(res["alerts"]) == 1 and "no hay canales" in res["warning"]
    out = summary(demo, "airflow-run-1")
    assert out["status"] == "ok" and out["alerts_new"] == 1 and out["alerts_sent"] == 0
    assert set(out["stages"]) == {"inbox", "score", "topics", "trends", "alerts"}
    assert out["stages"]["score"]["skipped"] and out["seconds"] >= out["stages"]["trends"]["seconds"]
    # a stage rerun alone reads its inputs from the database: the alert stage again tells nothing new
    assert run_stage(demo, "alerts", "airflow-run-1", c)["alerts"] == []


def test_a_failing_channel_makes_the_run_partial_and_the_next_run_delivers(demo, rules_file, monkeypatch):
    with WebhookReceiver(statuses=[500, 500]) as hook:
        monkeypatch.setenv("SABOR_ALERT_WEBHOOK_URL", hook.url)
        first = run_refresh(demo, cfg(rules_file))
        assert (first["status"], first["alerts_new"], first["deliveries_failed"]) == ("partial", 1, 1)
        assert rstore.get_run(demo, first["run_id"])["status"] == "partial"
        second = run_refresh(demo, cfg(rules_file))                    # the receiver is back
    assert (second["status"], second["alerts_new"], second["alerts_sent"]) == ("ok", 0, 1)
    assert [r.status for r in hook.requests] == [500, 500, 200]
    (alert_id,) = {r.headers["X-Sabor-Delivery-Id"] for r in hook.requests}
    assert rstore.delivery_status(demo, alert_id.split(":")[0])["webhook"]["attempts"] == 3


def test_new_rows_from_the_inbox_are_loaded_and_a_new_rule_sees_existing_shifts(demo, rules_file, tmp_path):
    box = tmp_path / "entrada"
    box.mkdir()
    csv = ("ID Encuesta,Fecha de respuesta,Producto,Región,Comentario del cliente,Calificación (1-5)\n"
           + "".join(f"N-{i},0{1 + i % 9}/11/2026,Galletas de kiwicha 120 g,Lima,"
                     f"Nuevo comentario número {i} sobre las galletas,4\n" for i in range(30)))
    (box / "nuevos.csv").write_text(csv, encoding="utf-8")
    c = cfg(rules_file, inbox=box, channels=[], files=None)
    first = run_refresh(demo, c)
    assert (first["files_loaded"], first["rows_loaded"]) == (1, 30)
    assert first["stages"]["trends"]["unchanged"] is False
    assert (box / "done" / "nuevos.csv.report.json").is_file()
    extra = ("  - name: Picante en el sur\n    dimension: attribute\n    key: picante\n"
             "    polarity: positive\n    direction: up\n    segment: sur\n")
    (tmp_path / "mas.yaml").write_text(RULES + extra, encoding="utf-8")
    again = run_refresh(demo, cfg(str(tmp_path / "mas.yaml"), channels=[]))
    assert again["files_loaded"] == 0 and again["stages"]["trends"]["unchanged"] is True
    assert [a["rules"] for a in again["alerts"]] == [["Picante en el sur"]]


@pytest.mark.parametrize("has_run, at_fit, now, after, expected", [
    (False, 0, 10, 2000, "too_few"), (False, 0, 500, 2000, "fit"), (True, 1000, 2500, 2000, "assign"),
    (True, 1000, 3000, 2000, "refit"), (True, 1000, 9000, 0, "off"),
])
def test_topics_refit_only_when_enough_new_comments_arrived(has_run, at_fit, now, after, expected):
    assert topic_action(has_run, at_fit, now, after, min_docs=50) == expected


def test_the_summary_is_plain_json(demo, rules_file):
    out = run_refresh(demo, cfg(rules_file, channels=[]))
    again = json.loads(json.dumps(out, default=str))
    for k in ("files_loaded", "files_failed", "scored", "shifts_found", "alerts_sent", "alerts_new", "run_id",
              "status", "stages"):
        assert k in again


def test_the_app_collects_its_inbox_itself_and_records_a_run(demo, rules_file, tmp_path, monkeypatch):
    import threading
    import time

    from analysis.ops.refresh import start_in_app
    from tests.analysis.ops.test_inbox import FEEDBACK

    box = tmp_path / "entrada"
    monkeypatch.setenv("SABOR_ALERT_RULES", rules_file)
    monkeypatch.setenv("SABOR_REFRESH_SKIP", "score,topics")
    monkeypatch.setenv("SABOR_REFRESH_DIMENSIONS", "attribute")
    monkeypatch.setenv("SABOR_INBOX_SETTLE_S", "0.5")
    stop = threading.Event()
    thread = start_in_app(demo, box, interval_s=0, stop=stop)
    try:
        assert box.is_dir()                                      # made on start
        new = FEEDBACK.replace(b"/2024,", b"/2026,")             # same comments, new dates: new rows
        (box / "hoy.csv").write_bytes(new)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (box / "done" / "hoy.csv.report.json").exists():
            time.sleep(0.2)
        assert (box / "done" / "hoy.csv.report.json").exists()
        runs = rstore.refresh_runs(demo)
        while time.monotonic() < deadline and (runs.empty or runs["status"].iloc[0] == "running"):
            time.sleep(0.2)
            runs = rstore.refresh_runs(demo)
    finally:
        stop.set()
        thread.join(timeout=30)
    run = runs.iloc[0]
    assert (run["trigger"], run["status"], run["files_loaded"], run["rows_loaded"]) == ("app", "ok", 1, 40)
    assert run["alerts_new"] == 1 and not thread.is_alive()
