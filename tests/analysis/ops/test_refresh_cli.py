"""`sabor refresh` and `sabor watch` as a scheduler and a person run them: real subprocesses, real folders,
real receivers on 127.0.0.1; JSON on stdout, exit codes for schedulers, one-line reasons on stderr."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.alert_servers import SmtpServer, WebhookReceiver
from tests.analysis.ops.test_refresh import RULES

ROOT = Path(__file__).resolve().parents[3]


def sabor(*args, db: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def rules(tmp_path) -> Path:
    p = tmp_path / "reglas.yaml"
    p.write_text(RULES, encoding="utf-8")
    return p


FAST = ["--skip", "score", "--skip", "topics"]
QUICK_ENV = {"SABOR_REFRESH_DIMENSIONS": "attribute", "SABOR_ALERT_ATTEMPTS": "1"}


def test_refresh_prints_json_for_schedulers_and_a_second_run_sends_nothing(demo_truth_copy, rules, tmp_path):
    with WebhookReceiver() as hook, SmtpServer(tmp_path) as smtp:
        env = QUICK_ENV | {"SABOR_ALERT_WEBHOOK_URL": hook.url} | smtp.env()
        r = sabor("refresh", "--rules", str(rules), "--format", "json", *FAST, db=demo_truth_copy, env=env)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        r2 = sabor("refresh", "--rules", str(rules), "--format", "json", *FAST, db=demo_truth_copy, env=env)
    assert r2.returncode == 0, r2.stderr
    for k in ("files_loaded", "files_failed", "scored", "shifts_found", "alerts_sent"):
        assert isinstance(out[k], int), k
    assert (out["alerts_new"], out["alerts_sent"], out["status"]) == (1, 1, "ok")
    assert len(hook.requests) == 1 and len(smtp.messages) == 1
    assert smtp.env()["SABOR_SMTP_PASSWORD"] not in r.stderr + r.stdout
    again = json.loads(r2.stdout)
    assert (again["alerts_new"], again["alerts_sent"], again["files_loaded"], again["scored"]) == (0, 0, 0, 0)


def test_exit_codes_bad_input_partial_and_locked(demo_truth_copy, rules, tmp_path):
    bad = tmp_path / "malas.yaml"
    bad.write_text("rules:\n  - name: x\n    direction: lateral\n", encoding="utf-8")
    for args in (["--rules", str(bad)], ["--inbox", str(tmp_path / "no-existe" / "entrada")],
                 ["--skip", "todo"], ["--stage", "alerts"]):
        r = sabor("refresh", *args, db=demo_truth_copy, env=QUICK_ENV)
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "sabor: error:" in r.stderr, r.stderr
    # a receiver that refuses: the run completes, says partial, exits 3
    with WebhookReceiver(statuses=[404]) as hook:
        r = sabor("refresh", "--rules", str(rules), "--format", "json", *FAST, db=demo_truth_copy,
                  env=QUICK_ENV | {"SABOR_ALERT_WEBHOOK_URL": hook.url})
    assert r.returncode == 3, r.stderr
    assert json.loads(r.stdout)["deliveries_failed"] == 1
    # another process holds the database: exit 75 with one line, no traceback
    hold = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(demo_truth_copy)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = sabor("refresh", "--rules", str(rules), *FAST, db=demo_truth_copy, env=QUICK_ENV)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert r.returncode == 75, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert f"proceso {holder.pid}" in r.stderr and "un solo proceso escritor" in r.stderr


def test_a_csv_dropped_into_a_running_watch_is_loaded_within_seconds(tmp_path):
    db = tmp_path / "w.duckdb"
    box = tmp_path / "entrada"
    box.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "--db", str(db), "watch", str(box),
                             "--interval", "0.5", "--settle", "1"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        time.sleep(3)                        # the process is up (imports) and watching
        assert proc.poll() is None, proc.stderr.read()
        data = b"".join((ROOT / "data" / "demo_feedback.csv").read_bytes().splitlines(keepends=True)[:201])
        part = box / "encuesta.csv.part"     # written under a temporary name, renamed when complete
        part.write_bytes(data)
        dropped = time.monotonic()
        part.rename(box / "encuesta.csv")
        line = proc.stdout.readline()        # one line per file handled
        took = time.monotonic() - dropped
        assert line.startswith("loaded: encuesta.csv (feedback, 200 filas) → done/encuesta.csv"), line
        assert took < 10, f"took {took:.1f} s"
        assert (box / "done" / "encuesta.csv.report.json").is_file()
        # the database is free between batches: another command can use it while watch runs
        r = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), "ask",
                            "¿cuántos comentarios hay?", "--format", "json"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert 200 in json.loads(r.stdout)["rows"][0]
    finally:
        proc.send_signal(signal.SIGTERM)     # our own process, by its id
        proc.wait(timeout=30)
    assert proc.returncode == 0


# --- the whole way with the real model ------------------------------------------------------------------
EMAIL, PHONE = "maria.quispe@correo.pe", "987 654 321"


def small_survey(path: Path) -> None:
    """300 real demo comments re-dated into six months of 2026 for one product: 4 % of them complain that
    the drink is too sweet in May-July, 40 % in August-October. The latest complaints carry an e-mail or
    a phone number (as real comments sometimes do)."""
    import pandas as pd

    fb = pd.read_csv(ROOT / "data" / "demo_feedback.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(ROOT / "data" / "demo_truth.csv", dtype=str, keep_default_na=False)
    es = set(truth.loc[truth["lang"] == "es", "ID Encuesta"])
    sweet = set(truth.loc[(truth["attribute"] == "dulce") & (truth["polarity"] == "negative"), "ID Encuesta"])
    any_sweet = set(truth.loc[truth["attribute"] == "dulce", "ID Encuesta"])
    fb = fb[fb["ID Encuesta"].isin(es)].drop_duplicates("Comentario del cliente")
    complaints = fb[fb["ID Encuesta"].isin(sweet)]["Comentario del cliente"].tolist()
    others = fb[~fb["ID Encuesta"].isin(any_sweet)]["Comentario del cliente"].tolist()
    rows, c, o = [], iter(complaints), iter(others)
    for m, share in zip(range(5, 11), (2, 2, 2, 20, 20, 20)):
        texts = [next(c) for _ in range(share)] + [next(o) for _ in range(50 - share)]
        for i, t in enumerate(texts):
            rows.append({"ID Encuesta": f"N{m:02d}-{i:02d}",
                         "Fecha de respuesta": f"{1 + i % 27:02d}/{m:02d}/2026",
                         "Producto": "Chicha morada embotellada 500 ml", "Región": "Lima",
                         "Comentario del cliente": t, "Calificación (1-5)": "3"})
    df = pd.DataFrame(rows)
    latest = df.index[df["ID Encuesta"].str.startswith("N10-")][:20]       # October's complaints
    df.loc[latest, "Fecha de respuesta"] = "28/10/2026"
    for k, idx in enumerate(latest):
        df.loc[idx, "Comentario del cliente"] += (f" Escríbanme a {EMAIL}" if k % 2
                                                  else f" Mi número es {PHONE}")
    df.to_csv(path, index=False)


@pytest.mark.slow
def test_refresh_through_the_real_model_delivers_one_webhook_and_one_email(tmp_path):
    db = tmp_path / "real.duckdb"
    box = tmp_path / "entrada"
    box.mkdir()
    small_survey(box / "encuesta_2026.csv")
    (box / "encuesta_2026.csv.ready").write_text("")
    rules = tmp_path / "reglas.yaml"
    rules.write_text("rules:\n  - name: Demasiado dulce\n    dimension: attribute\n    key: dulce\n"
                     "    polarity: negative\n    direction: up\n    min_effect_pp: 10\n", encoding="utf-8")
    with WebhookReceiver() as hook, SmtpServer(tmp_path) as smtp:
        env = {"SABOR_ALERT_WEBHOOK_URL": hook.url, "SABOR_REFRESH_DIMENSIONS": "attribute"} | smtp.env()
        r = sabor("refresh", "--inbox", str(box), "--rules", str(rules), "--format", "json",
                  "--skip", "topics", db=db, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout)
    assert (out["files_loaded"], out["rows_loaded"], out["scored"]) == (1, 300, 300)
    assert (out["alerts_new"], out["alerts_sent"]) == (1, 1)
    assert len(hook.requests) == 1 and len(smtp.messages) == 1
    alert = hook.requests[0].body["alert"]
    assert alert["sentence"].startswith("dulce negativo ↑") and "de los comentarios" in alert["sentence"]
    assert alert["shift"]["rate_after"] > 0.25 > 0.1 > alert["shift"]["rate_before"]
    assert len(alert["comments"]) == 3
    assert any("[EMAIL]" in t or "[TELÉFONO]" in t for t in alert["comments"])
    assert alert["link"].startswith("http://127.0.0.1:8501/tendencias?by=attribute&key=dulce&from=2026-0")
    import email as email_lib
    import email.policy

    mail = email_lib.message_from_bytes(smtp.messages[0][0].original_content, policy=email.policy.default)
    plain = mail.get_body(("plain",)).get_content()
    assert alert["sentence"] in plain and alert["link"] in plain
    for payload in (json.dumps(hook.requests[0].body, ensure_ascii=False), plain, r.stdout):
        assert EMAIL not in payload and PHONE not in payload


def test_watch_once_with_refresh_loads_and_alerts(demo_truth_copy, rules, tmp_path):
    box = tmp_path / "entrada"
    box.mkdir()
    (box / "vacio.csv").write_text("", encoding="utf-8")
    (box / "vacio.csv.ready").write_text("")
    with WebhookReceiver() as hook:
        env = QUICK_ENV | {"SABOR_ALERT_WEBHOOK_URL": hook.url, "SABOR_ALERT_RULES": str(rules),
                           "SABOR_REFRESH_SKIP": "score,topics"}
        r = sabor("watch", str(box), "--once", "--refresh", db=demo_truth_copy, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("failed: vacio.csv") and "vacío" in r.stdout
    assert len(hook.requests) == 1 and (box / "failed" / "vacio.csv.report.json").is_file()
