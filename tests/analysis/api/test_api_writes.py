"""Routes that change data, on a small store of their own: uploads (file and JSON rows), their refusals
(413, 415, 422, 400), scoring with the real model through a job, questions, tokens, deleting a load, the
audit trail, the rate limit and what the access log may and may not say."""
from __future__ import annotations

import io
import json
import logging
import time

from tests.analysis.api.conftest import PREFIX, bearer, demo_csv, demo_market_csv, upload


def _feedback_count(store) -> int:
    return store.feedback_count()


def test_upload_a_file_and_json_rows_as_analyst(writable):
    client, tokens, store = writable
    n0 = _feedback_count(store)
    r = upload(client, "/feedback", tokens["analyst"], demo_csv(slice(100, 110)), "lote.csv")
    rep = r.get_json()
    assert r.status_code == 201, rep
    assert rep["rows_read"] == 10 and rep["rows_loaded"] == 10 and rep["file_name"] == "lote.csv"
    assert r.headers["Location"] == f"/api/v1/uploads/{rep['upload_id']}"
    assert _feedback_count(store) == n0 + 10
    rows = [{"Comentario": "El ají de la salsa pica demasiado, no se aguanta.", "Fecha": "15/03/2025",
             "Región": "Cusco", "Estrellas": "2"},
            {"Comentario": "Muy rica la chicha morada, bien helada.", "Fecha": "16/03/2025",
             "Región": "Lima"}]
    r = client.post(PREFIX + "/feedback", json={"rows": rows, "file_name": "encuesta-web"},
                    headers=bearer(tokens["analyst"]))
    rep = r.get_json()
    assert r.status_code == 201 and rep["rows_loaded"] == 2 and rep["file_name"] == "encuesta-web.json"
    assert rep["mapping"]["text"] == "Comentario" and rep["date_min"] == "2025-03-15"
    first_id = rep["upload_id"]
    r = client.post(PREFIX + "/feedback", json={"rows": rows}, headers=bearer(tokens["analyst"]))
    again = r.get_json()
    assert again["rows_loaded"] == 0 and again["duplicates_in_db"] == 2
    # the same bytes again: nothing created, so 200 (not 201), pointing at the upload that has them
    assert r.status_code == 200 and again["already_loaded"]["upload_id"] == first_id
    assert r.headers["Location"] == f"/api/v1/uploads/{first_id}"
    mapped = client.post(PREFIX + "/feedback", headers=bearer(tokens["analyst"]), json={
        "rows": [{"opinion_cliente": "Demasiado dulce el helado de lúcuma, empalaga.", "dia": "2025-04-01"}],
        "map": {"text": "opinion_cliente", "date": "dia"}}).get_json()
    assert mapped["rows_loaded"] == 1 and mapped["mapping_source"]["text"] == "user"


def test_json_rows_with_unicode_line_separators_in_a_rejected_row_load_and_count_it(writable):
    """Text pasted from the web or a chat carries NEL / U+2028 / U+2029; in a rejected row they made the
    upload answer 500 (found by the schema fuzzer). Now: 201, the row counted as rejected, the rest loaded."""
    client, tokens, store = writable
    n0 = _feedback_count(store)
    rows = [{"Comentario": "Copiado del chat\u0085 el ají\u2028 pica\u2029 rico", "Fecha": "15/03/2025",
             "Estrellas": "99"},
            {"Comentario": "La causa limeña estuvo buenaza.", "Fecha": "16/03/2025", "Estrellas": "5"}]
    r = client.post(PREFIX + "/feedback", json={"rows": rows, "file_name": "chat"},
                    headers=bearer(tokens["analyst"]))
    rep = r.get_json()
    assert r.status_code == 201, rep
    assert rep["rows_loaded"] == 1 and rep["rows_rejected"] == 1
    assert _feedback_count(store) == n0 + 1


def test_upload_market_series_and_read_them_back(writable):
    client, tokens, _ = writable
    r = upload(client, "/market", tokens["admin"], demo_market_csv(slice(500, 520)), "mercado_2.csv")
    assert r.status_code == 201 and r.get_json()["kind"] == "market" and r.get_json()["rows_loaded"] > 0
    listed = client.get(PREFIX + "/market?per_page=500", headers=bearer(tokens["viewer"])).get_json()
    assert listed["total"] >= r.get_json()["rows_loaded"]


def test_uploads_refused_with_problems(writable, monkeypatch):
    from analysis.api import create_app

    client, tokens, store = writable
    h = bearer(tokens["analyst"])
    n0 = _feedback_count(store)
    # 415: neither JSON nor multipart
    r = client.post(PREFIX + "/feedback", data="comentario\nrico", content_type="text/csv", headers=h)
    assert r.status_code == 415 and r.get_json()["code"] == "unsupported_media_type"
    # 400: not JSON at all
    r = client.post(PREFIX + "/feedback", data="{rows: [", content_type="application/json", headers=h)
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    # 422: body against the schema; an unknown field; no file; a file the loader refuses
    for body in ({}, {"rows": []}, {"rows": "x"}, {"rows": [{"a": 1}], "extra": 1}):
        r = client.post(PREFIX + "/feedback", json=body, headers=h)
        assert r.status_code == 422 and r.get_json()["errors"]["json"], body
    r = client.post(PREFIX + "/feedback", json={"rows": [{"a": "b"}], "map": {"sabor": "a"}}, headers=h)
    assert r.status_code == 422 and r.get_json()["code"] == "ingest_bad_mapping"
    r = client.post(PREFIX + "/feedback", headers=h, content_type="multipart/form-data", data={"map": "x=y"})
    assert r.status_code == 422 and "file" in r.get_json()["errors"]["files"]
    r = upload(client, "/feedback", tokens["analyst"], b"\x00\x01\x02binary" * 50, "datos.csv")
    p = r.get_json()
    assert r.status_code == 422 and p["code"].startswith("ingest_") and "datos.csv" in p["detail"]
    r = upload(client, "/feedback", tokens["analyst"], b"a,b\n1,2\n", "virus.exe")
    assert r.status_code == 422 and r.get_json()["reason"] == "unsupported_format"
    assert _feedback_count(store) == n0, "a refused upload changed the database"
    # 413: over SABOR_MAX_UPLOAD_MB, as a whole request and as a file the loader measures
    monkeypatch.setenv("SABOR_MAX_UPLOAD_MB", "0.01")
    small = create_app(store, rate_limit=0).test_client()
    big, medium = demo_csv(slice(0, 800)), demo_csv(slice(0, 100))
    assert len(big) > 10 * 1024 + 64 * 1024 > len(medium) > 10 * 1024
    for data, lang, title in ((big, "es", "Contenido demasiado grande"), (medium, "en", "Content too large")):
        r = small.post(PREFIX + "/feedback", headers=bearer(tokens["analyst"], **{"Accept-Language": lang}),
                       content_type="multipart/form-data", data={"file": (io.BytesIO(data), "grande.csv")})
        assert r.status_code == 413 and r.get_json()["title"] == title and r.get_json()["code"] == "too_large"
    assert _feedback_count(store) == n0


def test_analyze_scores_pending_comments_with_the_real_model_in_a_job(writable):
    from analysis.ops import jobs
    from tests.analysis.api.conftest import wait_for_jobs

    client, tokens, store = writable
    wait_for_jobs(jobs)
    pending = store.scalar("SELECT count(*) FROM feedback f WHERE NOT EXISTS "
                           "(SELECT 1 FROM predictions p WHERE p.feedback_id = f.feedback_id)")
    assert pending > 0
    r = client.post(PREFIX + "/analyze", headers=bearer(tokens["analyst"]))
    body = r.get_json()
    assert r.status_code == 202 and body["started"] is True and body["job"]["status"] == "running"
    job_url = r.headers["Location"]
    deadline = time.monotonic() + 600
    while True:
        j = client.get(job_url, headers=bearer(tokens["viewer"])).get_json()
        if j["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert j["status"] == "done", j
    assert j["result"]["scored"] + j["result"]["cached"] >= pending and j["done"] == j["total"]
    assert store.scalar("SELECT count(*) FROM feedback f WHERE NOT EXISTS "
                        "(SELECT 1 FROM predictions p WHERE p.feedback_id = f.feedback_id)") == 0
    items = client.get(PREFIX + "/feedback?per_page=500",
                       headers=bearer(tokens["viewer"])).get_json()["items"]
    assert all(i["sentiment"] in ("negative", "neutral", "positive") and 1 <= i["stars_pred"] <= 5
               for i in items)
    spicy = [i for i in items if i["text"].startswith("El ají de la salsa pica demasiado")]
    assert spicy and "picante" in (spicy[0]["attributes"] or "")
    r = client.get(PREFIX + "/jobs/0000", headers=bearer(tokens["viewer"]))
    assert r.status_code == 404 and r.get_json()["code"] == "job_not_found"


def test_ask_validates_the_question(writable):
    client, tokens, _ = writable
    h = bearer(tokens["analyst"])
    for body in ({}, {"question": ""}, {"question": "x" * 501}, {"question": 3}):
        r = client.post(PREFIX + "/ask", json=body, headers=h)
        assert r.status_code == 422, body
    a = client.post(PREFIX + "/ask", json={"question": "¿cuántos comentarios hay?"}, headers=h).get_json()
    assert set(a) == {"question", "sql", "columns", "rows", "answer", "backend"} and a["rows"][0][0] > 0


def test_admin_manages_tokens_and_deletes_a_load(writable):
    client, tokens, store = writable
    admin = bearer(tokens["admin"])
    r = client.post(PREFIX + "/tokens", json={"name": "pipeline-bi", "role": "viewer"}, headers=admin)
    new = r.get_json()
    assert r.status_code == 201 and new["token"].startswith("sabor_")
    assert r.headers["Cache-Control"] == "no-store"
    assert client.get(PREFIX + "/uploads", headers=bearer(new["token"])).status_code == 200
    assert client.post(PREFIX + "/tokens", json={"name": "pipeline-bi", "role": "admin"},
                       headers=admin).status_code == 409
    listed = client.get(PREFIX + "/tokens", headers=admin)
    assert new["token"] not in listed.get_data(as_text=True) and "hash" not in listed.get_data(as_text=True)
    assert "pipeline-bi" in {t["name"] for t in listed.get_json()["items"]}
    r = client.delete(PREFIX + "/tokens/pipeline-bi", headers=admin)
    assert r.status_code == 200 and r.get_json()["items"][0]["revoked_at"]
    assert client.get(PREFIX + "/uploads", headers=bearer(new["token"])).get_json()["code"] == "invalid_token"
    assert client.delete(PREFIX + "/tokens/pipeline-bi", headers=admin).status_code == 404
    # delete one load: its comments and everything derived from them go
    rep = upload(client, "/feedback", tokens["admin"], demo_csv(slice(300, 305)), "equivocado.csv").get_json()
    n = store.feedback_count()
    r = client.delete(f"{PREFIX}/uploads/{rep['upload_id']}", headers=admin)
    assert r.status_code == 200 and r.get_json()["feedback_rows"] == 5 and store.feedback_count() == n - 5
    assert client.delete(f"{PREFIX}/uploads/{rep['upload_id']}", headers=admin).status_code == 404
    audit = client.get(PREFIX + "/audit?limit=500", headers=admin).get_json()
    actions = [(e["actor"], e["action"]) for e in audit["items"]]
    me = next(a for a, _ in actions if a.startswith("token:rw-admin"))
    for action in ("token.create", "token.revoke", "feedback.upload", "upload.delete"):
        assert (me, action) in actions, action
    assert audit["total"] >= len(audit["items"])
    assert all(new["token"] not in json.dumps(e) for e in audit["items"])


def test_rate_limit_per_token_answers_429_with_retry_after(writable):
    from analysis.api import create_app

    _, tokens, store = writable
    client = create_app(store, rate_limit=3).test_client()
    codes = [client.get(PREFIX + "/uploads", headers=bearer(tokens["viewer"])).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get(PREFIX + "/uploads", headers=bearer(tokens["viewer"]))
    p = r.get_json()
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and p["retry_after"] >= 1
    assert p["code"] == "rate_limited" and p["limit"] == 3
    # another token has its own bucket
    assert client.get(PREFIX + "/uploads", headers=bearer(tokens["analyst"])).status_code == 200


def test_access_log_is_json_with_request_id_and_never_a_token_or_text(writable):
    from analysis.ops import logs

    client, tokens, _ = writable
    buf = io.StringIO()
    logs.configure(stream=buf, level=logging.INFO)
    try:
        question = "¿cuántos comentarios mencionan la palabra helada?"
        r = client.post(PREFIX + "/ask", json={"question": question},
                        headers=bearer(tokens["analyst"], **{"X-Request-ID": "req-42"}))
        client.get(PREFIX + "/uploads", headers=bearer("sabor_wrong-token-value-123456"))
    finally:
        logs.configure(stream=__import__("sys").stderr, level=logging.WARNING)
    out = buf.getvalue()
    lines = [json.loads(x) for x in out.splitlines()]
    access = [x for x in lines if x["event"] == "api_request"]
    assert r.status_code == 200 and len(access) == 2
    assert access[0]["request_id"] == "req-42" and access[0]["route"] == "/api/v1/ask"
    assert access[0]["token_name"].startswith("rw-analyst") and access[0]["status"] == 200
    assert access[1]["status"] == 401 and access[1]["token_name"] is None
    assert tokens["analyst"] not in out and "wrong-token-value" not in out and question not in out
