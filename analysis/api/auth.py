"""Bearer tokens, roles and the per-token rate limit, checked before a view runs (before its input is
validated, so a caller without a valid token learns nothing about the request's shape).

A view declares what it does with `@requires("read" | "upload" | ...)`: the action (whose roles live in
`analysis.access`), its success response and extra error responses for the OpenAPI description. A view
without it is public (health, the OpenAPI description, the docs).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from apiflask import APIBlueprint
from flask import Flask, current_app, g, request

from analysis import access
from analysis.api.errors import problem
from analysis.api.limits import RateLimiter
from analysis.store import Principal, authenticate

SECURITY_SCHEME = "BearerAuth"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sabor"'}

# Error responses every protected route may give, for the OpenAPI description.
_COMMON = {
    401: "Falta el token o no es válido / missing or invalid token",
    403: "El rol del token no permite esta acción / the token's role may not do this",
    429: {"description": "Límite de solicitudes por minuto del token / the token's rate limit",
          "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}},
          "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}},
}
# A 422 of a route that validates its body itself (the upload routes), as apiflask documents its own.
INVALID = {"description": "Cuerpo no válido o archivo rechazado / invalid body or file refused",
           "content": {"application/problem+json": {
               "schema": {"$ref": "#/components/schemas/ValidationError"}}}}
# The errors both upload routes (feedback, market) document.
UPLOAD_ERRORS = {200: "Ya cargado: los mismos bytes se cargaron antes, no se cambió nada (`already_loaded`, "
                      "Location: esa carga) / already loaded: nothing changed",
                 413: "Archivo demasiado grande / file too large (SABOR_MAX_UPLOAD_MB)",
                 415: "Ni JSON ni multipart / neither JSON nor multipart",
                 422: INVALID}


def json_ok(schema, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def requires(bp: APIBlueprint, action: str, ok: dict | None = None, status: int = 200,
             errors: dict | None = None, body: bool = False) -> Callable:
    """Mark a view of `bp` as needing a token whose role may do `action`, and describe its responses
    (`ok`: the success response object; `errors`: more error statuses; `body`: it reads a request body,
    so a body that is not JSON at all is a 400) in the OpenAPI description."""
    access.minimum_role(action)  # fails at import for an unknown action

    def decorate(f):
        f._sabor_action = action
        responses = {status: ok or {"description": "OK"}}
        responses.update({k: (v if not isinstance(v, dict) else dict(v)) for k, v in _COMMON.items()})
        if body:
            responses[400] = "El cuerpo no se pudo leer (JSON mal formado) / unreadable body (malformed JSON)"
        responses.update(errors or {})
        roles = ", ".join(access.roles_for(action))
        doc = getattr(f, "__doc__", None) or ""
        f.__doc__ = f"{doc.rstrip()}\n\nRoles: {roles}." if doc else f"Roles: {roles}."
        return bp.doc(security=SECURITY_SCHEME, responses=responses)(f)

    return decorate


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_principal() -> Principal | None:
    return g.get("principal")


def actor() -> str:
    p = current_principal()
    if p is not None and g.get("local"):
        return p.name              # the CLI on this machine, through the run-file (analysis.ops.handover)
    return f"token:{p.name}" if p else "anonymous"


_LOOPBACK = ("127.0.0.1", "::1")
_ACTOR_RE = re.compile(r"^cli:[A-Za-z0-9._@-]{1,64}$")


def _local_principal(token: str) -> Principal | None:
    """The CLI of this machine handing work to this process: the run-file's secret, from loopback only."""
    from analysis.ops import handover

    if request.remote_addr not in _LOOPBACK or not handover.is_local_secret(token):
        return None
    who = request.headers.get("X-Sabor-Actor", "")
    return Principal(who if _ACTOR_RE.match(who) else "cli:local", "admin")


def install(app: Flask, get_store: Callable, limiter: RateLimiter) -> None:
    @app.before_request
    def _check_access():
        view = current_app.view_functions.get(request.endpoint or "")
        action = getattr(view, "_sabor_action", None)
        if action is None:
            return None      # public route, or no route at all (404/405 follow)
        token = bearer_token()
        if token is None:
            raise problem(401, "missing_token", headers=_CHALLENGE)
        principal = _local_principal(token)
        if principal is not None:
            g.principal, g.local = principal, True
            return None      # the machine's own administrator: no per-token rate limit
        principal = authenticate(get_store(), token)
        if principal is None:
            raise problem(401, "invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        g.principal = principal
        if not access.allowed(principal.role, action):
            raise problem(403, "forbidden_role", role=principal.role, roles=access.roles_for(action))
        wait = limiter.hit(principal.name)
        if wait:
            raise problem(429, "rate_limited", headers={"Retry-After": str(wait)}, retry_after=wait,
                          limit=limiter.per_minute)
        return None
