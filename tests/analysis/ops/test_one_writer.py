"""One writer, shared safely: while `sabor serve` (make run) holds the database, the CLI's writes are handed
to it through its local API (run-file + per-run secret), reads wait a bounded time and then say who holds
the file; and 4 clients uploading, asking and reading at once for a bounded time all succeed, every upload
accounted for."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from analysis.ops.handover import runfile_path
from analysis.store import Store, create_token
from tests.conftest import ROOT, free_port

SOAK_S = float(os.environ.get("SABOR_SOAK_S", "30"))


def sabor(*args, db, stdin=None, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


class Serving:
    """`sabor serve --api-port` on loopback ports, as make run starts it."""

    def __init__(self, db: Path, env: dict | None = None):
        self.db = db
        self.api_port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "analysis.cli", "--db", str(db), "serve", "--port", str(free_port()),
             "--address", "127.0.0.1", "--api-port", str(self.api_port), "--api-address", "127.0.0.1"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, "SABOR_METRICS_PORT": str(free_port()), "HF_HUB_OFFLINE": "1",
                 "TRANSFORMERS_OFFLINE": "1", **(env or {})})
        self.api = f"http://127.0.0.1:{self.api_port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode()[-3000:])
            if runfile_path(db).exists():
                try:
                    with urllib.request.urlopen(f"{self.api}/api/v1/health", timeout=3):
                        return
                except OSError:
                    pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("sabor serve did not start in 120 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _call(api: str, token: str, method: str, path: str, body: bytes | None = None, ctype: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} | ({"Content-Type": ctype} if ctype else {})
    req = urllib.request.Request(api + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def _seed(db: Path) -> str:
    s = Store.open(db)
    try:
        return create_token(s, "soak", "admin")
    finally:
        s.close()


@pytest.fixture
def serving(tmp_path):
    servers = []

    def start(db: Path, env: dict | None = None) -> Serving:
        srv = Serving(db, env)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


def test_cli_writes_are_handed_to_the_running_app_and_reads_wait_then_say_who(serving, tmp_path):
    db = tmp_path / "w.duckdb"
    token = _seed(db)
    srv = serving(db)
    rf = runfile_path(db)
    assert stat.S_IMODE(rf.stat().st_mode) == 0o600
    info = json.loads(rf.read_text())
    assert info["pid"] == srv.proc.pid and info["api"] == srv.api

    f = tmp_path / "nuevos.csv"
    f.write_text("Comentario,Fecha,Producto\nLa causa limeña estuvo muy rica,2024-05-01,Causa\n"
                 "Le falta sal al lomo saltado,2024-05-02,Lomo saltado\n"
                 "Escríbanme a rosa.vega@mail.pe: el ají de gallina llegó frío,2024-05-03,Ají de gallina\n",
                 encoding="utf-8")
    r = sabor("ingest", str(f), "--format", "json", db=db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows_loaded"] == 3 and "app en marcha" in r.stderr
    # the same file again: the app's de-duplication answers, through the same path
    r = sabor("ingest", str(f), "--format", "json", db=db)
    assert r.returncode == 0 and json.loads(r.stdout)["duplicates_in_db"] == 3
    # bad input stays bad input: one line, exit 2
    bad = tmp_path / "vacio.csv"
    bad.write_text("Fecha\n2024-01-01\n", encoding="utf-8")
    r = sabor("ingest", str(bad), db=db)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 2 and "Traceback" not in r.stderr

    r = sabor("user", "add", "rosa", "--role", "viewer", "--password-stdin", db=db,
              stdin="clave-larga-rosa\n")
    assert r.returncode == 0, r.stderr
    r = sabor("token", "create", "--role", "viewer", "--name", "bi", "--format", "json", db=db)
    assert r.returncode == 0, r.stderr
    assert _call(srv.api, json.loads(r.stdout)["token"], "GET", "/api/v1/uploads")[0] == 200
    r = sabor("erase", "--match", "rosa.vega@mail.pe", "--format", "json", db=db)
    assert r.returncode == 0 and json.loads(r.stdout)["comments"] == 1, r.stderr
    r = sabor("analyze", "--quiet", db=db, timeout=600)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["handed_over"] is True

    status, page = _call(srv.api, token, "GET", "/api/v1/feedback?per_page=50")
    assert status == 200 and page["total"] == 2
    status, trail = _call(srv.api, token, "GET", "/api/v1/audit?limit=50")
    acts = [(e["action"], e["actor"]) for e in trail["items"]]
    assert ("feedback.upload", acts[0][1]) in acts and acts[0][1].startswith("cli:")
    assert {"feedback.upload", "user.add", "erase", "analyze.start"} <= {a for a, _ in acts}
    assert ("token.create", acts[0][1]) in acts
    assert all(a.startswith("cli:") for act, a in acts if act != "token.create" or a != "cli")
    # the run-file's secret is the app's, not a token: unknown elsewhere, useless from a wrong value
    status, _ = _call(srv.api, "x" + info["secret"], "GET", "/api/v1/users")
    assert status == 401

    # a read while the app holds the file: waits SABOR_LOCK_WAIT_S, then one line naming the holder
    t0 = time.monotonic()
    r = sabor("trends", "--format", "json", db=db, env={"SABOR_LOCK_WAIT_S": "2"})
    assert r.returncode == 75 and time.monotonic() - t0 >= 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert f"proceso {srv.proc.pid}" in r.stderr and "reintente" in r.stderr and "use el panel" in r.stderr

    srv.stop()
    assert not rf.exists()   # removed at a clean stop: the next CLI opens the file itself
    r = sabor("ingest", str(f), "--format", "json", db=db)
    assert r.returncode == 0 and "app en marcha" not in r.stderr


def test_soak_four_clients_upload_ask_and_read_at_once(serving, tmp_path):
    """4 threads for SABOR_SOAK_S seconds (30) against a running app, plus the CLI loading through it."""
    db = tmp_path / "soak.duckdb"
    token = _seed(db)
    srv = serving(db, {"SABOR_API_RATE_LIMIT": "0"})
    errors: list[str] = []
    uploads: list[tuple[str, int]] = []
    counts = {"ask": 0, "read": 0, "upload": 0, "cli": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + SOAK_S

    def client(k: int) -> None:
        i = 0
        while time.monotonic() < stop_at:
            i += 1
            tag = uuid.uuid4().hex[:8]
            rows = [{"comentario": f"Cliente {k}-{i}-{tag}: el ceviche {j} estaba "
                                   f"{'rico' if j % 2 else 'salado'}",
                     "fecha": f"2024-{1 + (i % 12):02d}-{1 + j:02d}", "producto": "Ceviche"}
                    for j in range(4)]
            body = json.dumps({"rows": rows, "file_name": f"c{k}_{i}.json"}).encode()
            status, rep = _call(srv.api, token, "POST", "/api/v1/feedback", body, "application/json")
            with lock:
                if status != 201:
                    errors.append(f"upload {status} {rep}")
                else:
                    uploads.append((rep["upload_id"], rep["rows_loaded"]))
                    counts["upload"] += 1
            q = json.dumps({"question": "¿cuántos comentarios hay por producto?"}).encode()
            status, ans = _call(srv.api, token, "POST", "/api/v1/ask", q, "application/json")
            with lock:
                if status != 200 or ans.get("error"):
                    errors.append(f"ask {status} {ans}")
                counts["ask"] += 1
            for path in ("/api/v1/feedback?per_page=20", "/api/v1/uploads", "/api/v1/trends?by=product"):
                status, out = _call(srv.api, token, "GET", path)
                with lock:
                    if status != 200:
                        errors.append(f"GET {path} {status} {out}")
                    counts["read"] += 1

    def cli_loader() -> None:
        n = 0
        while time.monotonic() < stop_at - 5:
            n += 1
            f = tmp_path / f"cli_{n}.csv"
            f.write_text("Comentario,Fecha\n" + "".join(f"CLI {n}-{j} {uuid.uuid4().hex[:6]}: buena sazón,"
                                                         f"2024-06-{1 + j:02d}\n" for j in range(3)),
                         encoding="utf-8")
            r = sabor("ingest", str(f), "--format", "json", db=db)
            with lock:
                if r.returncode != 0:
                    errors.append(f"cli {r.returncode} {r.stderr[-300:]}")
                else:
                    rep = json.loads(r.stdout)
                    uploads.append((rep["upload_id"], rep["rows_loaded"]))
                    counts["cli"] += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    threads.append(threading.Thread(target=cli_loader))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SOAK_S + 300)
    assert not errors, errors[:5]
    assert counts["upload"] >= 8 and counts["ask"] >= 8 and counts["read"] >= 24, counts
    assert counts["cli"] >= 1, counts
    status, listed = _call(srv.api, token, "GET", "/api/v1/uploads")
    ids = {u["upload_id"]: u["rows_loaded"] for u in listed["items"]}
    assert all(ids.get(uid) == n for uid, n in uploads), "an upload is missing or miscounted"
    assert len(ids) == len(uploads)
    status, page = _call(srv.api, token, "GET", "/api/v1/feedback?per_page=1")
    assert page["total"] == sum(n for _, n in uploads) == 4 * counts["upload"] + 3 * counts["cli"]
    print(f"soak {SOAK_S:.0f}s: {counts}")
