"""/api/v1/uploads, /tokens and /audit: what was loaded (and deleting a load), API tokens, the audit trail."""
from __future__ import annotations

import json

from apiflask import APIBlueprint

from analysis.api.auth import actor, json_ok, requires
from analysis.api.errors import problem
from analysis.api.routes.common import json_response, store
from analysis.api.schemas import (
    AuditOut,
    AuditQuery,
    DeletedUploadOut,
    TokenCreatedOut,
    TokenIn,
    TokensOut,
    TokensQuery,
    UploadsOut,
)
from analysis.store import (
    audit,
    audit_count,
    audit_entries,
    create_token,
    delete_upload,
    list_tokens,
    revoke_token,
)

bp = APIBlueprint("admin", __name__, url_prefix="/api/v1", tag="Admin")


@bp.get("/uploads")
@requires(bp, "read", ok=json_ok(UploadsOut, "Every load, newest first"))
def uploads():
    """Loads

    Every file or batch of rows loaded: kind, name, rows read, loaded, rejected and duplicate, when."""
    return json_response({"items": store().uploads()})


@bp.delete("/uploads/<upload_id>")
@requires(bp, "delete", ok=json_ok(DeletedUploadOut, "What was removed"),
          errors={404: "No hay tal carga / no such upload"})
def remove_upload(upload_id: str):
    """Delete a load

    Removes one load's rows (comments or market rows) and everything computed from them (predictions,
    mentions, topic assignments), in one transaction; recorded in the audit trail."""
    removed = delete_upload(store(), upload_id)
    if removed is None:
        raise problem(404, "upload_not_found", upload_id=upload_id[:64])
    audit(store(), actor(), "upload.delete", removed)
    return json_response(removed)


@bp.get("/tokens")
@requires(bp, "tokens", ok=json_ok(TokensOut, "Tokens (names and roles; never a token)"))
@bp.input(TokensQuery, location="query", arg_name="q")
def tokens(q):
    """API tokens

    Names, roles and dates of the tokens; the tokens themselves are never stored or shown again."""
    return json_response({"items": list_tokens(store(), include_revoked=q["include_revoked"])})


@bp.post("/tokens")
@requires(bp, "tokens", ok=json_ok(TokenCreatedOut, "The new token, shown this once"), status=201,
          errors={409: "Ya existe un token activo con ese nombre / an active token has that name"}, body=True)
@bp.input(TokenIn, location="json", arg_name="body")
def new_token(body):
    """Create a token

    As `sabor token create --role R --name N --format json`."""
    try:
        token = create_token(store(), body["name"], body["role"], actor=actor())
    except ValueError:
        raise problem(409, "token_exists", name=body["name"]) from None
    resp = json_response({"name": body["name"], "role": body["role"], "token": token}, 201)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.delete("/tokens/<name>")
@requires(bp, "tokens", ok=json_ok(TokensOut, "The token, revoked"),
          errors={404: "No hay tal token activo / no such active token"})
def remove_token(name: str):
    """Revoke a token

    As `sabor token revoke N`: the token stops working at once."""
    if not revoke_token(store(), name, actor=actor()):
        raise problem(404, "token_not_found", name=name[:64])
    rows = list_tokens(store(), include_revoked=True)
    return json_response({"items": rows[rows["name"] == name].tail(1)})


@bp.get("/audit")
@requires(bp, "audit", ok=json_ok(AuditOut, "Audit entries, newest first"))
@bp.input(AuditQuery, location="query", arg_name="q")
def audit_trail(q):
    """Audit trail

    Who did what and when: loads, deletions, questions, analyses, tokens created and revoked."""
    df = audit_entries(store(), q["limit"], q["offset"], q["action"])
    items = [{**r, "detail": json.loads(r["detail"]) if r["detail"] else None} for r in df.to_dict("records")]
    return json_response({"items": items, "total": audit_count(store(), q["action"])})

