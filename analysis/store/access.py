"""Reads and writes of access control: API tokens and the audit trail.

A token is 256 random bits (`secrets.token_urlsafe(32)`) behind a `sabor_` prefix, shown once when it is
created; only its SHA-256 is stored. A fast hash is enough here because the token is random, not a
password a person chose: nobody can guess it, and a stolen database gives no usable token. Revoking keeps
the row (with `revoked_at`) so the record of who had access remains; a revoked name can be issued again.

The audit trail is generic on purpose: `audit(store, actor, action, detail)` with any JSON detail, so
other parts (sign-in, erasure, training) add their actions without a new table. Callers never put a
secret in a detail.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from analysis.access import check_role
from analysis.store.core import Store

if TYPE_CHECKING:
    import pandas as pd

TOKEN_PREFIX = "sabor_"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name and role (never the token itself)."""
    name: str
    role: str


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError("nombre de token no válido: 1 a 64 letras, cifras o . _ @ - (sin espacios)")
    return name


def create_token(store: Store, name: str, role: str, actor: str = "cli") -> str:
    """Issue a token for `name` with `role`; returns the token (the only time it exists in clear).
    ValueError when the name or role is not valid or an active token already has that name."""
    check_name(name)
    check_role(role)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as cur:
        n = cur.execute("SELECT count(*) FROM api_tokens WHERE name = ? AND revoked_at IS NULL",
                        [name]).fetchall()[0][0]
        if n:
            raise ValueError(f"ya existe un token activo llamado {name!r}; revóquelo antes o use otro nombre")
        cur.execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)",
                    [name, role, hash_token(token), _now()])
        _audit(cur, actor, "token.create", {"name": name, "role": role})
    return token


def revoke_token(store: Store, name: str, actor: str = "cli") -> bool:
    """Revoke the active token called `name`; False when there is none."""
    with store.transaction() as cur:
        n = cur.execute("SELECT count(*) FROM api_tokens WHERE name = ? AND revoked_at IS NULL",
                        [name]).fetchall()[0][0]
        if not n:
            return False
        cur.execute("UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                    [_now(), name])
        _audit(cur, actor, "token.revoke", {"name": name})
    return True


def list_tokens(store: Store, include_revoked: bool = False) -> pd.DataFrame:
    """name, role, created_at, revoked_at: no hash, no token."""
    cond = "" if include_revoked else "WHERE revoked_at IS NULL"
    return store.query(f"SELECT name, role, created_at, revoked_at FROM api_tokens {cond} "
                       "ORDER BY created_at, name", kind="access")


def authenticate(store: Store, token: str | None) -> Principal | None:
    """The principal of an active token, or None (unknown, revoked, malformed)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    rows = store.cursor().execute(
        "SELECT name, role FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        [hash_token(token)]).fetchall()
    return Principal(*rows[0]) if rows else None


# --- audit trail ---------------------------------------------------------------------------------------

def _audit(cur, actor: str, action: str, detail: dict | None) -> None:
    cur.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?)",
                [_now(), actor, action, json.dumps(detail or {}, ensure_ascii=False, default=str)])


def audit(store: Store, actor: str, action: str, detail: dict | None = None) -> None:
    """Record that `actor` did `action` (e.g. "feedback.upload") with a JSON `detail`."""
    with store.transaction() as cur:
        _audit(cur, actor, action, detail)


def load_detail(report) -> dict:
    """What the audit trail keeps of a load (CLI, page, API, inbox): the file's name and SHA-256 and its row
    counts, never its content."""
    return {"upload_id": report.upload_id, "file_name": report.file_name, "sha256": report.sha256,
            "rows_read": report.rows_read, "rows_loaded": report.rows_loaded,
            "rows_rejected": report.rows_rejected}


def audit_entries(store: Store, limit: int = 100, offset: int = 0, action: str | None = None) -> pd.DataFrame:
    """Newest first: logged_at, actor, action, detail (JSON text)."""
    cond, params = ("WHERE action = ?", [action]) if action else ("", [])
    return store.query(f"SELECT logged_at, actor, action, CAST(detail AS VARCHAR) AS detail FROM audit_log "
                       f"{cond} ORDER BY logged_at DESC LIMIT {int(limit)} OFFSET {int(offset)}", params,
                       kind="access")


def audit_count(store: Store, action: str | None = None) -> int:
    cond, params = ("WHERE action = ?", [action]) if action else ("", [])
    return int(store.scalar(f"SELECT count(*) FROM audit_log {cond}", params))
