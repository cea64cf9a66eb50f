"""Dashboard users (`sabor user`), erasing a person (`sabor erase`), the audit trail export and the
encrypted database (`sabor db`), through the real command line on real database files."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import duckdb
import numpy as np
import pytest

from analysis.store import Store, audit_entries
from analysis.store.users import verify_user
from tests.conftest import ROOT

PW = "sal-y-limon-2024"


def sabor(*args, db, stdin: str | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SABOR_LOCK_WAIT_S": "0", **(env or {})})


def test_user_add_passwd_remove_keep_only_an_argon2_hash_and_audit_each_change(tmp_path):
    db = tmp_path / "u.duckdb"
    r = sabor("user", "add", "rosa", "--role", "analyst", "--password-stdin", db=db, stdin=PW + "\n")
    assert r.returncode == 0, r.stderr
    # bad input: one line, exit 2, nothing written
    add = ["user", "add"]
    for args, stdin, says in (([*add, "rosa", "--role", "viewer", "--password-stdin"], PW, "ya existe"),
                              (["user", "add", "luis", "--role", "viewer", "--password-stdin"], "corta",
                               "al menos 10"),
                              (["user", "add", "mal nombre", "--role", "viewer", "--password-stdin"], PW,
                               "no válido"),
                              (["user", "remove", "nadie"], None, "no hay un usuario"),
                              (["user", "add", "luis", "--role", "viewer"], "", "--password-stdin")):
        r = sabor(*args, db=db, stdin=stdin)
        assert r.returncode == 2 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    s = Store.open(db)
    try:
        (pw_hash,) = s.cursor().execute("SELECT pw_hash FROM users WHERE username = 'rosa'").fetchall()[0]
        assert pw_hash.startswith("$argon2id$") and PW not in pw_hash
        assert verify_user(s, "rosa", PW) == "analyst"
        assert verify_user(s, "rosa", PW + "x") is None and verify_user(s, "nadie", PW) is None
        assert s.scalar("SELECT count(*) FROM users") == 1
    finally:
        s.close()

    r = sabor("user", "passwd", "rosa", "--role", "admin", "--password-stdin", db=db,
              stdin="otra-clave-larga\n")
    assert r.returncode == 0, r.stderr
    r = sabor("user", "list", "--format", "json", db=db)
    assert [(u["username"], u["role"]) for u in json.loads(r.stdout)] == [("rosa", "admin")]
    assert sabor("user", "remove", "rosa", db=db).returncode == 0
    s = Store.open(db)
    try:
        assert verify_user(s, "rosa", "otra-clave-larga") is None and verify_user(s, "rosa", PW) is None
        trail = audit_entries(s, action=None)
        acts = list(trail["action"])[::-1]
        assert acts == ["user.add", "user.passwd", "user.remove"]
        assert all(a.startswith("cli:") for a in trail["actor"])
        assert PW not in " ".join(trail["detail"]) and "otra-clave" not in " ".join(trail["detail"])
        assert json.loads(trail["detail"].iloc[1]) == {"username": "rosa", "role": "admin"}
    finally:
        s.close()


def _every_text_value(db) -> str:
    """Every VARCHAR/JSON value of every table (not views), as one string."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute("""SELECT table_name, column_name FROM duckdb_columns()
                              WHERE NOT internal AND data_type IN ('VARCHAR', 'JSON')
                                AND table_name IN (SELECT table_name FROM duckdb_tables())""").fetchall()
        parts = []
        for t, c in cols:
            parts += [str(v[0]) for v in con.execute(f'SELECT "{c}" FROM "{t}" WHERE "{c}" IS NOT NULL')
                      .fetchall()]
        return "\n".join(parts)
    finally:
        con.close()


def test_erase_by_email_leaves_nothing_of_the_person_in_any_table(demo_truth_copy, tmp_path):
    db = demo_truth_copy
    s = Store.open(db)
    cur = s.cursor()
    email = "ana.quispe.erase@mail.pe"
    # the person's comments: one loaded file with two comments quoting her e-mail and a row the loader
    # rejected (empty comment) that still carries it
    rows = [{"Comentario": f"La papa a la huancaína estaba salada, escríbanme a {email}",
             "Fecha": "2024-03-01",
             "Producto": "Papa a la huancaína", "ID Encuesta": "PERSONA-1", "Cliente": email},
            {"Comentario": f"Muy picante el ají de gallina ({email})", "Fecha": "2024-04-02",
             "Producto": "Ají de gallina", "ID Encuesta": "PERSONA-2", "Cliente": email},
            {"Comentario": "", "Fecha": "2024-04-03", "Producto": "Ají de gallina",
             "ID Encuesta": "PERSONA-3",
             "Cliente": email}]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    f = tmp_path / "encuesta_persona.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    s.close()
    r = sabor("ingest", str(f), "--format", "json", db=db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows_loaded"] == 2 and json.loads(r.stdout)["rows_rejected"] == 1

    s = Store.open(db)
    cur = s.cursor()
    ids = [r[0] for r in cur.execute("SELECT feedback_id FROM feedback WHERE source_id LIKE 'PERSONA-%' "
                                     "ORDER BY source_id").fetchall()]
    hashes = [r[0] for r in cur.execute("SELECT text_hash FROM feedback WHERE source_id LIKE 'PERSONA-%'")
              .fetchall()]
    texts = [r["Comentario"] for r in rows[:2]]
    # every kind of row an analysis derives from a comment, as the stages write them
    from analysis.store import put_embeddings

    put_embeddings(s, hashes, np.ones((2, 8), dtype=np.float32), "emb-test")
    with s.transaction() as tx:
        for fid in ids:
            tx.execute("INSERT INTO predictions (feedback_id, model_version, sentiment, created_at) "
                       "VALUES (?, 'm1', 'negative', now())", [fid])
            tx.execute("INSERT INTO taste_mentions VALUES (?, 'm1', 'salty', 'negative', 0.9, 'salada')",
                       [fid])
            tx.execute("INSERT INTO food_mentions VALUES (?, 'm1', 'l1', 'papa a la huancaína', 'plato', "
                       "'negative', 0.8, 'papa')", [fid])
            tx.execute("INSERT INTO food_scans VALUES (?, 'm1', 'l1')", [fid])
            tx.execute("INSERT INTO feedback_terms VALUES (?, 'salada')", [fid])
            tx.execute("INSERT INTO term_scans VALUES (?)", [fid])
            tx.execute("INSERT INTO feedback_topics VALUES (?, 'run1', 3, 0.7)", [fid])
        tx.execute("INSERT INTO alerts (alert_id, created_at, headline, message) "
                   "VALUES ('a1', now(), 'h', ?)",
                   [json.dumps({"headline": "Más quejas de sal",
                                "comments": ["…" + texts[0][10:], "Otro cliente: muy rico todo"]})])
        tx.execute("INSERT INTO audit_log VALUES (now(), 'token:x', 'ask', ?)",
                   [json.dumps({"question": f"¿qué dijo {email}?", "sql": "SELECT 1"})])
    n_before = s.feedback_count()
    others_pred = s.scalar("SELECT count(*) FROM predictions WHERE feedback_id NOT IN (SELECT unnest(?))",
                           [ids])
    s.close()
    everything = _every_text_value(db)
    assert email in everything and ids[0] in everything   # the check below can fail

    r = sabor("erase", "--match", email.upper(), "--format", "json", db=db)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["comments"] == 2 and out["rejected_rows"] == 1 and out["embeddings"] == 2
    assert out["alerts_scrubbed"] == 1 and out["audit_entries_scrubbed"] == 1
    assert all(out["derived_rows"][t] == 2 for t in ("predictions", "taste_mentions", "feedback_topics"))

    everything = _every_text_value(db)
    for needle in [email, *ids, *hashes, *texts, texts[0][10:], "PERSONA-1", "PERSONA-3"]:
        assert needle.lower() not in everything.lower(), needle
    s = Store.open(db)
    try:
        assert s.feedback_count() == n_before - 2
        assert s.scalar("SELECT count(*) FROM predictions") == others_pred
        msg = json.loads(s.scalar("SELECT CAST(message AS VARCHAR) FROM alerts WHERE alert_id = 'a1'"))
        assert msg["comments"] == ["Otro cliente: muy rico todo"]
        entry = audit_entries(s, action="erase").iloc[0]
        assert entry["actor"].startswith("cli:") and json.loads(entry["detail"])["by"] == "match"
    finally:
        s.close()
    # nothing left to erase: 0, and a second criterion at once is refused
    r = sabor("erase", "--match", email, "--format", "json", db=db)
    assert r.returncode == 0 and json.loads(r.stdout)["comments"] == 0
    r = sabor("erase", "--match", email, "--source-id", "X", db=db)
    assert r.returncode == 2


def test_erase_by_feedback_id_and_source_id(demo_truth_copy):
    s = Store.open(demo_truth_copy)
    fid, sid, text = s.cursor().execute("SELECT feedback_id, source_id, text FROM feedback "
                                        "ORDER BY feedback_id "
                                        "LIMIT 1 OFFSET 7").fetchall()[0]
    fid2, sid2 = s.cursor().execute("SELECT feedback_id, source_id FROM feedback WHERE source_id IS NOT NULL "
                                    "ORDER BY feedback_id LIMIT 1 OFFSET 99").fetchall()[0]
    n = s.feedback_count()
    preds = s.scalar("SELECT count(*) FROM predictions WHERE feedback_id = ?", [fid])
    s.close()
    assert preds >= 1
    r = sabor("erase", "--feedback-id", fid, "--format", "json", db=demo_truth_copy)
    assert r.returncode == 0 and json.loads(r.stdout)["derived_rows"]["predictions"] == preds, r.stderr
    r = sabor("erase", "--source-id", sid2, "--format", "json", db=demo_truth_copy)
    assert r.returncode == 0 and json.loads(r.stdout)["comments"] == 1, r.stderr
    s = Store.open(demo_truth_copy)
    try:
        assert s.feedback_count() == n - 2
        for t in ("feedback", "predictions", "taste_mentions"):
            assert s.scalar(f"SELECT count(*) FROM {t} WHERE feedback_id IN (?, ?)", [fid, fid2]) == 0
    finally:
        s.close()


def test_audit_export_is_a_neutralised_csv(tmp_path):
    db = tmp_path / "a.duckdb"
    s = Store.open(db)
    from analysis.store import audit

    audit(s, "token:x", "ask", {"question": "=HYPERLINK(\"http://x\")"})
    s.close()
    out = tmp_path / "audit.csv"
    r = sabor("audit", "--format", "csv", "--output", str(out), db=db)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0]["action"] == "ask" and rows[0]["actor"] == "token:x"
    assert not rows[0]["detail"].startswith("=")


def _httpfs() -> bool:
    try:
        duckdb.connect(":memory:").execute("LOAD httpfs")
        return True
    except duckdb.Error:
        return False


def test_encrypted_database_roundtrip_conversion_and_key_errors(tmp_path):
    db = tmp_path / "c.duckdb"
    key_env = {"SABOR_DB_KEY": "clave de prueba 'con' comillas", "SABOR_DB_ALLOW_MBEDTLS": "1"}
    assert sabor("demo", db=db).returncode == 0
    question = "¿cuántos comentarios hay?"
    plain_count = json.loads(sabor("ask", question, "--format", "json", db=db).stdout)["rows"]
    # DuckDB compresses strings, so look for words it keeps whole in a plain file: table names and
    # frequent values
    needles = (b"feedback_topics", b"Lima", b"salsa")
    assert all(n in db.read_bytes() for n in needles)

    if not _httpfs():   # no OpenSSL module: refused with the reason unless the operator opts in
        r = sabor("db", "encrypt", db=db, env={"SABOR_DB_KEY": "k1"})
        assert r.returncode == 2 and "httpfs" in r.stderr and "SABOR_DB_ALLOW_MBEDTLS" in r.stderr
        assert all(n in db.read_bytes() for n in needles)
    r = sabor("db", "encrypt", db=db, env=key_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["encrypted"] is True
    data = db.read_bytes()
    assert not any(n in data for n in needles)
    assert json.loads(sabor("db", "status", db=db).stdout)["encrypted"] is True

    # the app's read path (guarded ask) and writes work with the key
    r = sabor("ask", "¿cuántos comentarios hay?", "--format", "json", db=db, env=key_env)
    assert r.returncode == 0 and json.loads(r.stdout)["rows"] == plain_count, r.stderr
    r = sabor("erase", "--match", "huaman53@hotmail.com", "--format", "json", db=db, env=key_env)
    assert r.returncode == 0 and json.loads(r.stdout)["comments"] == 1, r.stderr
    # wrong key, no key: one line each, exit 2
    r = sabor("ask", "x", db=db, env={**key_env, "SABOR_DB_KEY": "otra"})
    assert r.returncode == 2 and "clave de cifrado no abre" in r.stderr and "Traceback" not in r.stderr
    r = sabor("ask", "x", db=db, env={"SABOR_DB_KEY": ""})
    assert r.returncode == 2 and "está cifrada" in r.stderr
    # a key file (a Kubernetes Secret mounted as a file) works like the variable
    kf = tmp_path / "key"
    kf.write_text(key_env["SABOR_DB_KEY"] + "\n", encoding="utf-8")
    r = sabor("ask", "¿cuántos comentarios hay?", "--format", "json", db=db,
              env={"SABOR_DB_KEY_FILE": str(kf), "SABOR_DB_ALLOW_MBEDTLS": "1"})
    assert r.returncode == 0, r.stderr
    # back to plain
    r = sabor("db", "decrypt", db=db, env=key_env)
    assert r.returncode == 0, r.stderr
    r = sabor("ask", "¿cuántos comentarios hay?", "--format", "json", db=db)
    assert json.loads(r.stdout)["rows"][0][0] == plain_count[0][0] - 1


@pytest.mark.parametrize("bad", ["", "   "])
def test_erase_refuses_empty_criteria(tmp_path, bad):
    r = sabor("erase", "--feedback-id", bad, db=tmp_path / "e.duckdb")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
