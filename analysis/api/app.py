"""The Flask application (APIFlask): configuration, the OpenAPI 3.1 description, and the hooks every request
passes through — request id, token and role, rate limit, JSON access log, Prometheus metrics, problem
details for every error.
"""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from apiflask import APIFlask
from flask import g, request

from analysis.api import auth, errors
from analysis.api.limits import RateLimiter, limit_from_env
from analysis.api.routes import blueprints
from analysis.ingest.readers import max_upload_bytes
from analysis.ops import logs, metrics

SPEC_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/api/v1/docs"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# multipart framing around a file at the size limit still passes; the file itself is then checked
# against the limit by the loader (the same check as the dashboard's and the CLI's)
_MULTIPART_SLACK = 64 * 1024

DESCRIPTION = """Sabor's facts for other programs: load feedback and market series, read trends, topics,
insights and the report, ask questions, start the analysis.

Authentication: `Authorization: Bearer <token>`; tokens are created with
`sabor token create --role viewer|analyst|admin --name N`. viewer: read; analyst: also upload, ask,
analyze; admin: also tokens, deletion, audit trail. Errors are RFC 9457 problem details
(`application/problem+json`) in Spanish or English (`Accept-Language`). Each token may make
`SABOR_API_RATE_LIMIT` requests per minute (429 with `Retry-After` beyond). Every response carries
`X-Request-ID` (yours, if you send a safe one)."""


def _spec_processor(spec):
    """Finish the generated description: the upload routes' two request bodies (JSON rows or a file,
    from the same schemas that validate them) and the problem+json media type of error responses."""
    from analysis.api.schemas import FileIn, RowsIn

    for name, schema in (("RowsIn", RowsIn), ("FileIn", FileIn)):
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
    for path in ("/api/v1/feedback", "/api/v1/market"):
        op = spec._paths.get(path, {}).get("post")
        if op is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/RowsIn"}},
                "multipart/form-data": {"schema": {"$ref": "#/components/schemas/FileIn"}}}}
    problem_refs = {"#/components/schemas/HTTPError", "#/components/schemas/ValidationError"}
    for ops in spec._paths.values():
        for op in ops.values():
            if not isinstance(op, dict):
                continue
            for status, resp in op.get("responses", {}).items():
                content = resp.get("content", {})
                if str(status)[0] in "45" and "application/json" in content:
                    if content["application/json"].get("schema", {}).get("$ref") in problem_refs:
                        content[errors.PROBLEM_JSON] = content.pop("application/json")
    return spec


def create_app(store: Callable | object | None = None, *, rate_limit: int | None = None,
               config: dict | None = None) -> APIFlask:
    """The API over `store` (a Store, or a callable returning one; default: `Store.open()` on first use,
    i.e. the process-wide Store for SABOR_DB that the dashboard shares when both run in one process)."""
    app = APIFlask("sabor", title="Sabor API", version="1", spec_path=SPEC_PATH, docs_path=DOCS_PATH,
                   docs_ui="swagger-ui")
    app.config.update(
        OPENAPI_VERSION="3.1.0",
        DESCRIPTION=DESCRIPTION,
        SECURITY_SCHEMES={auth.SECURITY_SCHEME: {"type": "http", "scheme": "bearer",
                                                 "description": "sabor token create --role R --name N"}},
        HTTP_ERROR_SCHEMA=errors.problem_schema(),
        VALIDATION_ERROR_SCHEMA=errors.problem_schema(validation=True),
        SPEC_PROCESSOR_PASS_OBJECT=True,
        AUTO_OPERATION_ID=True,
        SERVERS=[{"url": "/", "description": "this server"}],
        TAGS=[{"name": t, "description": d} for t, d in (
            ("Feedback", "Comments: load and list"), ("Market", "Market series: load and list"),
            ("Insights", "Trends, topics, recommendations, report"),
            ("Ask", "Questions in Spanish or English"),
            ("Jobs", "Scoring in the background"), ("Admin", "Loads, tokens, audit trail"),
            ("Health", "Readiness"))],
        MAX_CONTENT_LENGTH=max_upload_bytes() + _MULTIPART_SLACK,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.config.update(config or {})
    app.spec_processor(_spec_processor)

    if store is None:
        from analysis.store import Store

        get_store = Store.open
    elif callable(store):
        get_store = store
    else:
        get_store = lambda: store  # noqa: E731
    limiter = RateLimiter(limit_from_env() if rate_limit is None else rate_limit)
    app.extensions["sabor"] = {"store": get_store, "limiter": limiter}

    _install_request_hooks(app)
    errors.install(app)
    auth.install(app, get_store, limiter)
    for bp in blueprints():
        app.register_blueprint(bp)
    return app


def _install_request_hooks(app: APIFlask) -> None:
    log = logs.get_logger("sabor.api")

    @app.before_request
    def _start():
        g.start = time.perf_counter()
        rid = request.headers.get("X-Request-ID", "")
        g.request_id = rid if _REQUEST_ID.match(rid) else uuid.uuid4().hex
        g.log_token = logs.session_id.set(f"api:{g.request_id}")

    @app.after_request
    def _finish(resp):
        rid = g.get("request_id") or uuid.uuid4().hex
        resp.headers["X-Request-ID"] = rid
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        seconds = time.perf_counter() - g.get("start", time.perf_counter())
        metrics.API_REQUESTS.labels(method=request.method, route=route, status=str(resp.status_code)).inc()
        metrics.API_REQUEST_SECONDS.labels(method=request.method, route=route).observe(seconds)
        principal = auth.current_principal()
        # No query string, body or header values: they may hold customer text or a token.
        log.info("api_request", extra={
            "request_id": rid, "method": request.method, "route": route, "status": resp.status_code,
            "duration_ms": seconds * 1000, "token_name": principal.name if principal else None,
            "role": principal.role if principal else None, "remote_addr": request.remote_addr,
            "bytes_in": request.content_length or 0, "bytes_out": resp.calculate_content_length()})
        return resp

    @app.teardown_request
    def _unbind(_exc):
        token = g.pop("log_token", None)
        if token is not None:
            try:
                logs.session_id.reset(token)
            except ValueError:   # set in another context (should not happen): leave it
                pass
