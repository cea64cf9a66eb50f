"""Roles, API tokens (stored hashed, shown once, revocable), the audit trail, deleting a load, and the
`sabor token` commands."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from analysis import access
from tests.conftest import ROOT


def test_roles_are_ordered_and_each_may_do_what_the_one_before_may():
    assert access.ROLES == ("viewer", "analyst", "admin")
    table = {r: {a for a in access.ACTIONS if access.allowed(r, a)} for r in access.ROLES}
    assert table["viewer"] == {"read"}
    assert table["analyst"] == {"read", "upload", "ask", "analyze", "report", "alerts"}
    assert table["admin"] == set(access.ACTIONS)
    assert not access.allowed(None, "read") and not access.allowed("root", "read")
    assert access.roles_for("delete") == ["admin"] and access.roles_for("upload") == ["analyst", "admin"]
    with pytest.raises(ValueError):
        access.allowed("admin", "fly")
    with pytest.raises(ValueError):
        access.check_role("owner")


def test_tokens_are_stored_as_a_hash_shown_once_and_revocable(store):
    from analysis.store import Principal, audit_entries, authenticate, create_token, list_tokens, revoke_token

    token = create_token(store, "bi", "viewer")
    assert token.startswith("sabor_") and len(token) > 40
    rows = store.query("SELECT * FROM api_tokens")
    assert token not in rows.to_string()
    assert rows["token_hash"][0] == hashlib.sha256(token.encode()).hexdigest()
    assert authenticate(store, token) == Principal("bi", "viewer")
    assert authenticate(store, token + "x") is None and authenticate(store, "") is None
    with pytest.raises(ValueError):
        create_token(store, "bi", "admin")       # one active token per name
    with pytest.raises(ValueError):
        create_token(store, "con espacios", "viewer")
    assert list(list_tokens(store).columns) == ["name", "role", "created_at", "revoked_at"]
    assert revoke_token(store, "bi") and not revoke_token(store, "bi")
    assert authenticate(store, token) is None
    again = create_token(store, "bi", "analyst")   # a revoked name can be issued again
    assert authenticate(store, again) == Principal("bi", "analyst")
    assert len(list_tokens(store, include_revoked=True)) == 2
    log = audit_entries(store)
    assert list(log["action"]) == ["token.create", "token.revoke", "token.create"]   # newest first
    assert token not in log.to_string() and again not in log.to_string()


def test_questions_cannot_read_tokens_or_the_audit_trail(store):
    from analysis.ask.sqlguard import GuardError, run_guarded
    from analysis.store import create_token

    create_token(store, "bi", "viewer")
    for sql in ("SELECT token_hash FROM api_tokens", "SELECT * FROM audit_log"):
        with pytest.raises(GuardError):
            run_guarded(store, sql)


def test_deleting_a_load_removes_its_rows_and_what_was_derived(store):
    from analysis.demo import DEMO_FEEDBACK
    from analysis.ingest import ingest_bytes
    from analysis.store import delete_upload

    data = DEMO_FEEDBACK.read_bytes().split(b"\n")
    keep = ingest_bytes(store, b"\n".join(data[:21]) + b"\n", "a.csv")
    gone = ingest_bytes(store, b"\n".join(data[:1] + data[21:31]) + b"\n", "b.csv")
    ids = store.query("SELECT feedback_id FROM feedback WHERE upload_id = ?", [gone.upload_id])["feedback_id"]
    with store.transaction() as cur:
        for fid in ids:
            cur.execute("INSERT INTO predictions VALUES (?, 'm', 'positive', 1, 5, 0, 0, 1, false, now())",
                        [fid])
            cur.execute("INSERT INTO taste_mentions VALUES (?, 'm', 'dulce', 'positive', 1, 'x')", [fid])
    out = delete_upload(store, gone.upload_id)
    assert out["feedback_rows"] == 10 and out["file_name"] == "b.csv"
    assert store.feedback_count() == keep.rows_loaded == 20
    for table in ("predictions", "taste_mentions"):
        assert store.scalar(f"SELECT count(*) FROM {table}") == 0, table
    assert store.scalar("SELECT count(*) FROM uploads WHERE upload_id = ?", [gone.upload_id]) == 0
    assert delete_upload(store, gone.upload_id) is None


def _sabor(db, *args):
    return subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_token_commands(tmp_path):
    db = tmp_path / "t.duckdb"
    r = _sabor(db, "token", "create", "--role", "analyst", "--name", "pipeline", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"name", "role", "token"} and out["role"] == "analyst"
    listed = _sabor(db, "token", "list", "--format", "json")
    assert out["token"] not in listed.stdout and json.loads(listed.stdout)[0]["name"] == "pipeline"
    for args in (("token", "create", "--role", "analyst", "--name", "pipeline"),   # name in use
                 ("token", "revoke", "nadie"), ("token", "create", "--role", "analyst", "--name", "a b")):
        r = _sabor(db, *args)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    assert _sabor(db, "token", "create", "--role", "root", "--name", "x").returncode == 2
    assert _sabor(db, "token", "revoke", "pipeline").returncode == 0
    assert json.loads(_sabor(db, "token", "list", "--format", "json").stdout) == []
