"""/api/v1/users and /api/v1/erase: admin only; the password never comes back; the erasure is audited with
counts; and the run-file's local secret works only from loopback, as the CLI's hand-over uses it."""
from __future__ import annotations

from analysis.ops import handover
from analysis.store.users import verify_user
from tests.analysis.api.conftest import PREFIX, bearer


def test_users_are_admin_only_and_no_password_is_echoed(writable):
    client, tokens, store = writable
    body = {"username": "lucia", "role": "viewer", "password": "una-clave-larga"}
    for role in ("viewer", "analyst"):
        assert client.post(f"{PREFIX}/users", json=body, headers=bearer(tokens[role])).status_code == 403
    r = client.post(f"{PREFIX}/users", json=body, headers=bearer(tokens["admin"]))
    assert r.status_code == 201 and "una-clave-larga" not in r.get_data(as_text=True)
    assert ["lucia"] == [u["username"] for u in r.get_json()["items"] if u["username"] == "lucia"]
    assert verify_user(store, "lucia", "una-clave-larga") == "viewer"
    r = client.post(f"{PREFIX}/users", json=body | {"password": "corta"}, headers=bearer(tokens["admin"]))
    assert r.status_code == 409 and "10 caracteres" in r.get_json()["detail"]
    r = client.put(f"{PREFIX}/users/lucia", json={"password": "otra-clave-larga", "role": "analyst"},
                   headers=bearer(tokens["admin"]))
    assert r.status_code == 200 and verify_user(store, "lucia", "otra-clave-larga") == "analyst"
    assert client.delete(f"{PREFIX}/users/lucia", headers=bearer(tokens["admin"])).status_code == 200
    assert client.delete(f"{PREFIX}/users/lucia", headers=bearer(tokens["admin"])).status_code == 404
    trail = client.get(f"{PREFIX}/audit?limit=20", headers=bearer(tokens["admin"])).get_json()["items"]
    mine = [e for e in trail if e["action"].startswith("user.")]
    assert [e["action"] for e in mine][:3] == ["user.remove", "user.passwd", "user.add"]
    assert all(e["actor"].startswith("token:rw-admin") for e in mine)
    assert "clave" not in str(mine)


def test_erase_through_the_api(writable):
    client, tokens, store = writable
    fid, text = store.cursor().execute("SELECT feedback_id, text FROM feedback ORDER BY feedback_id "
                                       "LIMIT 1").fetchall()[0]
    n = store.feedback_count()
    assert client.post(f"{PREFIX}/erase", json={"feedback_id": fid},
                       headers=bearer(tokens["analyst"])).status_code == 403
    r = client.post(f"{PREFIX}/erase", json={"match": "ab"}, headers=bearer(tokens["admin"]))
    assert r.status_code == 409 and store.feedback_count() == n
    r = client.post(f"{PREFIX}/erase", json={"feedback_id": fid}, headers=bearer(tokens["admin"]))
    assert r.status_code == 200 and r.get_json()["comments"] == 1 and store.feedback_count() == n - 1
    entry = client.get(f"{PREFIX}/audit?action=erase", headers=bearer(tokens["admin"])).get_json()["items"][0]
    assert fid not in str(entry) and text not in str(entry)


def test_the_local_secret_is_admin_from_loopback_only(writable, tmp_path, monkeypatch):
    client, tokens, store = writable
    handover.write_runfile(tmp_path / "x.duckdb", "127.0.0.1", 1)
    secret = handover.read_runfile(tmp_path / "x.duckdb")["secret"]
    try:
        r = client.get(f"{PREFIX}/users", headers=bearer(secret, **{"X-Sabor-Actor": "cli:ana"}))
        assert r.status_code == 200
        r = client.get(f"{PREFIX}/users", headers=bearer(secret), environ_base={"REMOTE_ADDR": "10.0.0.8"})
        assert r.status_code == 401
        assert client.get(f"{PREFIX}/users", headers=bearer(secret[:-1] + "x")).status_code == 401
    finally:
        handover.remove_runfile()
    assert not handover.runfile_path(tmp_path / "x.duckdb").exists()
    assert client.get(f"{PREFIX}/users", headers=bearer(secret)).status_code == 401   # gone with the file
