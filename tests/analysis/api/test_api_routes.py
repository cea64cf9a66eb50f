"""Every route through Flask's test client, over real DuckDB and the demo scored by the real model, for
each role: what each role may read, what it may not do (403), what no token or a wrong one gets (401),
and the shape of the answers."""
from __future__ import annotations

import pytest

from analysis.access import ROLES
from tests.analysis.api.conftest import PREFIX, bearer

# The first test to use `demo_scored_store` pays for scoring the 13k demo comments with the real model:
# 1-4 min on a quiet 2-core machine, more than pytest's default 900 s when the cores are shared.
pytestmark = pytest.mark.timeout(2400)

READS = ["/trends?by=attribute", "/trends?by=product&period=quarter", "/trends?by=topic",
         "/feedback?per_page=5", "/market?per_page=5", "/topics", "/insights?lang=en", "/report?format=md",
         "/uploads"]
# (method, path, json body) a role below the action's least role must be refused (before any work)
WRITES = [("post", "/feedback", {"rows": [{"comentario": "rico"}]}), ("post", "/market", {"rows": [{}]}),
          ("post", "/ask", {"question": "¿cuántos comentarios hay?"}), ("post", "/analyze", None)]
ADMIN = [("get", "/tokens", None), ("post", "/tokens", {"name": "x", "role": "viewer"}),
         ("delete", "/tokens/x", None), ("delete", "/uploads/u1", None), ("get", "/audit", None)]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_every_read_route(scored_api, role):
    client, tokens = scored_api
    for path in READS:
        r = client.get(PREFIX + path, headers=bearer(tokens[role]))
        assert r.status_code == 200, (path, r.get_data(as_text=True)[:500])
        assert r.headers["X-Request-ID"]
        if "report" not in path:
            assert r.is_json, path


def test_viewer_may_not_write_and_analyst_may_not_administer(scored_api, demo_scored_store):
    client, tokens = scored_api
    before = demo_scored_store.data_version()
    for role, routes in (("viewer", WRITES + ADMIN), ("analyst", ADMIN)):
        for method, path, body in routes:
            r = getattr(client, method)(PREFIX + path, json=body, headers=bearer(tokens[role]))
            assert r.status_code == 403, (role, method, path, r.status_code)
            p = r.get_json()
            assert r.mimetype == "application/problem+json" and p["code"] == "forbidden_role"
            assert role not in p["roles"] and p["status"] == 403
            assert p["type"] == "urn:sabor:problem:forbidden_role"
    assert demo_scored_store.data_version() == before, "a refused request changed the data"


def test_every_protected_operation_answers_401_without_or_with_a_wrong_token(scored_api):
    client, tokens = scored_api
    spec = client.get(PREFIX + "/openapi.json").get_json()
    checked = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            url = path.replace("{job_id}", "j1").replace("{name}", "n1").replace("{upload_id}", "u1")
            if not op.get("security"):
                assert url == PREFIX + "/health", f"{method} {path} is public"
                continue
            for headers in ({}, bearer("sabor_not-a-real-token"), bearer(tokens["admin"][:-2] + "xx"),
                            {"Authorization": "Basic dXNlcjpwdw=="}):
                r = client.open(url, method=method.upper(), headers=headers)
                assert r.status_code == 401, (method, path, headers, r.status_code)
                assert r.mimetype == "application/problem+json" and "WWW-Authenticate" in r.headers
                assert r.get_json()["code"] in ("missing_token", "invalid_token")
            checked += 1
    assert checked >= 16


def test_openapi_is_3_1_with_every_route_and_docs(scored_api):
    client, _ = scored_api
    spec = client.get(PREFIX + "/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    ops = {(m.upper(), p) for p, o in spec["paths"].items() for m in o}
    for op in [("POST", "/feedback"), ("GET", "/feedback"), ("POST", "/market"), ("GET", "/market"),
               ("GET", "/trends"), ("GET", "/topics"), ("GET", "/insights"), ("GET", "/report"),
               ("POST", "/ask"), ("POST", "/analyze"), ("GET", "/jobs/{job_id}"), ("GET", "/health"),
               ("GET", "/uploads"), ("DELETE", "/uploads/{upload_id}"), ("GET", "/tokens"),
               ("POST", "/tokens"), ("DELETE", "/tokens/{name}"), ("GET", "/audit")]:
        assert (op[0], PREFIX + op[1]) in ops, op
    body = spec["paths"][PREFIX + "/feedback"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert spec["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    err = spec["paths"][PREFIX + "/trends"]["get"]["responses"]["401"]["content"]
    assert list(err) == ["application/problem+json"]
    docs = client.get(PREFIX + "/docs")
    assert docs.status_code == 200 and b"swagger" in docs.data.lower()


def test_health_is_public_and_says_only_ok_or_not(scored_api):
    client, _ = scored_api
    r = client.get(PREFIX + "/health")
    h = r.get_json()
    assert r.status_code == 200 and h["ready"] is True and h["status"] == "ok"
    assert h["checks"] == {"database": {"ok": True}, "model": {"ok": True}}
    assert "duckdb" not in r.get_data(as_text=True)      # no path of the database file


def test_feedback_listing_uses_the_sidebar_filters_and_pages(scored_api, demo_scored_store):
    from analysis.filters import Filters
    from analysis.insight.overview import kpis

    client, tokens = scored_api
    h = bearer(tokens["viewer"])
    q = "region=Lima&region=Cusco&date_from=2025-01-01&date_to=2025-06-30"
    first = client.get(f"{PREFIX}/feedback?{q}&per_page=7", headers=h).get_json()
    n = kpis(demo_scored_store, Filters(*["2025-01-01", "2025-06-30"], (), ("Lima", "Cusco"), ()))["comments"]
    assert first["total"] == n > 0 and first["pages"] == -(-n // 7) and len(first["items"]) == 7
    assert {i["region"] for i in first["items"]} <= {"Lima", "Cusco"}
    assert all("2025-01-01" <= i["date"] <= "2025-06-30" for i in first["items"])
    assert all(i["sentiment"] in ("negative", "neutral", "positive") for i in first["items"])  # the model's
    second = client.get(f"{PREFIX}/feedback?{q}&per_page=7&page=2", headers=h).get_json()
    assert not {i["feedback_id"] for i in first["items"]} & {i["feedback_id"] for i in second["items"]}
    r = client.get(f"{PREFIX}/feedback?per_page=501", headers=h)
    assert r.status_code == 422 and r.get_json()["errors"]["query"]["per_page"]


def test_market_listing_filters(scored_api):
    client, tokens = scored_api
    r = client.get(f"{PREFIX}/market?metric=Precio promedio (S/)&region=Lima&per_page=500",
                   headers=bearer(tokens["viewer"])).get_json()
    assert r["total"] > 0
    assert {(i["metric"], i["region"]) for i in r["items"]} == {("Precio promedio (S/)", "Lima")}


@pytest.mark.parametrize("fmt,mime,magic", [("html", "text/html", b"<"), ("pdf", "application/pdf", b"%PDF")])
def test_report_formats(scored_api, fmt, mime, magic):
    client, tokens = scored_api
    r = client.get(f"{PREFIX}/report?format={fmt}&lang=en", headers=bearer(tokens["viewer"]))
    assert r.status_code == 200 and r.mimetype == mime and r.data.lstrip()[:4].startswith(magic)
    assert f"sabor_informe.{fmt}" in r.headers["Content-Disposition"]


def test_validation_messages_follow_accept_language(scored_api):
    client, tokens = scored_api
    es = client.get(PREFIX + "/trends?by=sabor", headers=bearer(tokens["viewer"])).get_json()
    en = client.get(PREFIX + "/trends?by=sabor",
                    headers=bearer(tokens["viewer"], **{"Accept-Language": "en-GB"}))
    assert es["status"] == 422 and es["title"] == "Contenido no procesable"
    assert es["errors"]["query"]["by"][0].startswith("Debe ser uno de: attribute")
    assert en.headers["Content-Language"] == "en" and en.get_json()["title"] == "Unprocessable content"
    assert en.get_json()["errors"]["query"]["by"][0].startswith("Must be one of")


def test_request_id_is_echoed_when_safe_and_replaced_when_not(scored_api):
    client, _ = scored_api
    r = client.get(PREFIX + "/health", headers={"X-Request-ID": "abc-123.x"})
    assert r.headers["X-Request-ID"] == "abc-123.x"
    # (a newline cannot even be sent by the client; spaces and separators must not be echoed either)
    r = client.get(PREFIX + "/health", headers={"X-Request-ID": "bad id; X-Evil: 1"})
    assert r.headers["X-Request-ID"] != "bad id" and len(r.headers["X-Request-ID"]) == 32
    r = client.get(PREFIX + "/nowhere")
    assert r.status_code == 404 and r.get_json()["request_id"] == r.headers["X-Request-ID"]


def test_an_unexpected_error_is_a_problem_without_traceback(scored_api, monkeypatch):
    from analysis.api.routes import insights

    def boom(*a, **k):
        raise RuntimeError("SELECT secret FROM feedback")

    monkeypatch.setattr(insights, "trends_json", boom)
    client, tokens = scored_api
    r = client.get(PREFIX + "/trends", headers=bearer(tokens["viewer"]))
    text = r.get_data(as_text=True)
    assert r.status_code == 500 and r.mimetype == "application/problem+json"
    assert "secret" not in text and "Traceback" not in text and r.get_json()["code"] == "internal"


def test_requests_are_counted_per_route_and_status(scored_api):
    from prometheus_client import REGISTRY

    client, tokens = scored_api
    labels = {"method": "GET", "route": "/api/v1/uploads", "status": "200"}
    before = REGISTRY.get_sample_value("sabor_api_requests_total", labels) or 0
    client.get(PREFIX + "/uploads", headers=bearer(tokens["viewer"]))
    assert REGISTRY.get_sample_value("sabor_api_requests_total", labels) == before + 1
    assert REGISTRY.get_sample_value("sabor_api_request_seconds_count",
                                     {"method": "GET", "route": "/api/v1/uploads"}) >= 1
