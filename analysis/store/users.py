"""Dashboard users: names, roles and argon2id password hashes (`sabor user add|remove|passwd`).

A password is a secret a person chose, so unlike an API token it is stored with a slow, salted hash
(argon2id, argon2-cffi's defaults: 64 MiB, 3 passes): a stolen database gives no password back at any
useful speed. Removing a user keeps the row (no hash, `removed_at` set) so the audit trail's names still
mean someone; the name may be added again. Every change is written to the audit trail in the same
transaction, without the password.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from analysis.access import check_role
from analysis.store.access import _audit
from analysis.store.core import Store

USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
_HASHER = PasswordHasher()
# Checked when the name is unknown, so a wrong name costs as long as a wrong password (no user probing
# by timing).
_DUMMY_HASH = _HASHER.hash("sabor-no-such-user-placeholder")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def check_username(name: str) -> str:
    if not isinstance(name, str) or not USER_RE.match(name):
        raise ValueError("nombre de usuario no válido: 1 a 64 letras, cifras o . _ @ + - (sin espacios)")
    return name


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValueError(f"la contraseña debe tener al menos {MIN_PASSWORD} caracteres")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"la contraseña no puede pasar de {MAX_PASSWORD} caracteres")
    return password


def _active(cur, name: str) -> tuple | None:
    rows = cur.execute("SELECT username, role, pw_hash FROM users WHERE username = ? AND removed_at IS NULL",
                       [name]).fetchall()
    return rows[0] if rows else None


def add_user(store: Store, name: str, role: str, password: str, actor: str = "cli") -> None:
    """ValueError when the name, role or password is not valid or an active user has that name."""
    check_username(name)
    check_role(role)
    check_password(password)
    pw_hash = _HASHER.hash(password)
    with store.transaction() as cur:
        if _active(cur, name):
            raise ValueError(f"ya existe el usuario {name!r}; use `sabor user passwd` o elija otro nombre")
        now = _now()
        cur.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, NULL)", [name, role, pw_hash, now, now])
        _audit(cur, actor, "user.add", {"username": name, "role": role})


def set_password(store: Store, name: str, password: str, actor: str = "cli", role: str | None = None) -> None:
    """New password (and role, when given) for an active user; ValueError when there is none."""
    check_password(password)
    if role is not None:
        check_role(role)
    pw_hash = _HASHER.hash(password)
    with store.transaction() as cur:
        row = _active(cur, name)
        if not row:
            raise ValueError(f"no hay un usuario activo llamado {name!r}")
        cur.execute("UPDATE users SET pw_hash = ?, role = coalesce(?, role), updated_at = ? "
                    "WHERE username = ? AND removed_at IS NULL", [pw_hash, role, _now(), name])
        detail = {"username": name} | ({"role": role} if role and role != row[1] else {})
        _audit(cur, actor, "user.passwd", detail)


def remove_user(store: Store, name: str, actor: str = "cli") -> bool:
    """False when there is no active user of that name."""
    with store.transaction() as cur:
        if not _active(cur, name):
            return False
        cur.execute("UPDATE users SET pw_hash = NULL, removed_at = ?, updated_at = ? "
                    "WHERE username = ? AND removed_at IS NULL", [_now(), _now(), name])
        _audit(cur, actor, "user.remove", {"username": name})
    return True


def list_users(store: Store, include_removed: bool = False) -> pd.DataFrame:
    """username, role, created_at, updated_at, removed_at: never a hash."""
    cond = "" if include_removed else "WHERE removed_at IS NULL"
    return store.query(f"SELECT username, role, created_at, updated_at, removed_at FROM users {cond} "
                       "ORDER BY username, created_at", kind="access")


def user_role(store: Store, name: str) -> str | None:
    """The active user's role (for a person signed in through OIDC, whose name is their e-mail)."""
    row = _active(store.cursor(), name)
    return row[1] if row else None


def verify_user(store: Store, name: str, password: str) -> str | None:
    """The role when `password` is the active user's, else None (same time for an unknown name)."""
    row = _active(store.cursor(), name) if isinstance(name, str) and USER_RE.match(name) else None
    pw_hash = row[2] if row and row[2] else _DUMMY_HASH
    try:
        _HASHER.verify(pw_hash, password if isinstance(password, str) else "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _HASHER.check_needs_rehash(pw_hash):   # argon2 parameters raised since: store the stronger hash
        with store.transaction() as cur:
            cur.execute("UPDATE users SET pw_hash = ? WHERE username = ? AND removed_at IS NULL",
                        [_HASHER.hash(password), name])
    return row[1]


def count_users(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM users WHERE removed_at IS NULL"))
