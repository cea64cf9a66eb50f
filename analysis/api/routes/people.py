"""/api/v1/users and /api/v1/erase: the dashboard's users and erasing a person's comments (admin).

The same functions as `sabor user ...` and `sabor erase ...`; the CLI calls these routes when the running
app holds the database (analysis.ops.handover). A password travels in the request body only, over the
loopback or TLS the deployment puts in front; it is never logged, echoed or audited.
"""
from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Integer, List, String
from apiflask.validators import Length, OneOf

from analysis.access import ROLES
from analysis.api.auth import actor, json_ok, requires
from analysis.api.errors import problem
from analysis.api.routes.common import json_response, store
from analysis.store.erasure import EraseError, erase
from analysis.store.users import add_user, list_users, remove_user, set_password

bp = APIBlueprint("people", __name__, url_prefix="/api/v1", tag="Admin")


class UserIn(Schema):
    username = String(required=True, validate=Length(1, 64))
    role = String(required=True, validate=OneOf(ROLES))
    password = String(required=True, validate=Length(1, 256), load_only=True)


class PasswordIn(Schema):
    password = String(required=True, validate=Length(1, 256), load_only=True)
    role = String(load_default=None, validate=OneOf(ROLES))


class UserOut(Schema):
    username = String()
    role = String()
    created_at = String(allow_none=True)
    updated_at = String(allow_none=True)
    removed_at = String(allow_none=True)


class UsersOut(Schema):
    items = List(Dict())


class EraseIn(Schema):
    match = String(load_default=None, validate=Length(1, 500))
    feedback_id = String(load_default=None, validate=Length(1, 200))
    source_id = String(load_default=None, validate=Length(1, 200))


class ErasedOut(Schema):
    by = String()
    comments = Integer()
    derived_rows = Dict()
    embeddings = Integer()
    rejected_rows = Integer()
    alerts_scrubbed = Integer()
    audit_entries_scrubbed = Integer()


def _users():
    return json_response({"items": list_users(store())})


@bp.get("/users")
@requires(bp, "users", ok=json_ok(UsersOut, "Active users (names and roles; never a password or hash)"))
def users():
    """Dashboard users

    As `sabor user list`."""
    return _users()


@bp.post("/users")
@requires(bp, "users", ok=json_ok(UsersOut, "Active users, with the new one"), status=201,
          errors={409: "Nombre, rol o contraseña no válidos, o el usuario ya existe"}, body=True)
@bp.input(UserIn, location="json", arg_name="body")
def new_user(body):
    """Add a user

    As `sabor user add NAME --role R`."""
    try:
        add_user(store(), body["username"], body["role"], body["password"], actor=actor())
    except ValueError as e:
        raise problem(409, "user_invalid", _detail=str(e)) from None
    resp = _users()
    resp.status_code = 201
    return resp


@bp.put("/users/<username>")
@requires(bp, "users", ok=json_ok(UsersOut, "Active users"),
          errors={404: "No hay tal usuario activo", 409: "Contraseña no válida"}, body=True)
@bp.input(PasswordIn, location="json", arg_name="body")
def change_password(username: str, body):
    """Set a user's password (and role)

    As `sabor user passwd NAME [--role R]`."""
    try:
        set_password(store(), username, body["password"], actor=actor(), role=body.get("role"))
    except ValueError as e:
        if "no hay un usuario" in str(e):
            raise problem(404, "user_not_found", name=username[:64]) from None
        raise problem(409, "user_invalid", _detail=str(e)) from None
    return _users()


@bp.delete("/users/<username>")
@requires(bp, "users", ok=json_ok(UsersOut, "Active users"), errors={404: "No hay tal usuario activo"})
def delete_user(username: str):
    """Remove a user

    As `sabor user remove NAME`: the user can no longer sign in."""
    if not remove_user(store(), username, actor=actor()):
        raise problem(404, "user_not_found", name=username[:64])
    return _users()


@bp.post("/erase")
@requires(bp, "erase", ok=json_ok(ErasedOut, "What was erased (counts only)"),
          errors={409: "Criterio no válido"}, body=True)
@bp.input(EraseIn, location="json", arg_name="body")
def erase_person(body):
    """Erase a person's comments

    As `sabor erase`: exactly one of `match` (text or e-mail inside the comment), `feedback_id`,
    `source_id`. Removes the comments and every row derived from them; the audit trail records the counts,
    never the text."""
    try:
        result = erase(store(), body.get("match"), body.get("feedback_id"), body.get("source_id"),
                       actor=actor())
    except EraseError as e:
        raise problem(409, "erase_invalid", _detail=str(e)) from None
    return json_response(result)
