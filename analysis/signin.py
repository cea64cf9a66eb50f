"""Signing in to the dashboard: when it is required, checking a password with a limit on failures, the
first administrator, and the role of a person signed in through an identity provider (OIDC).

No Streamlit here (dashboard/auth.py draws the form); the roles are `analysis.access`'s, the same as the
API tokens'.

- `SABOR_AUTH=1` turns sign-in on (the container and Kubernetes default; `make run` on 127.0.0.1 leaves it
  off: one person on their own machine, who is then the administrator).
- Failed sign-ins are limited per user name and per browser session: after `MAX_FAILURES` failures within
  `WINDOW_S` seconds, the next attempt waits `LOCK_S` seconds, doubling for each failure beyond (at most
  `MAX_LOCK_S`); a success clears the name's count. Each failure and success goes to the audit trail
  (the name tried, never the password).
- `SABOR_ADMIN_USER` + `SABOR_ADMIN_PASSWORD` (or `SABOR_ADMIN_PASSWORD_FILE`, a Kubernetes Secret) create
  the first administrator when the database has no user yet, so a fresh deployment can be entered.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from analysis.store.access import audit
from analysis.store.users import add_user, count_users, user_role, verify_user

MAX_FAILURES = int(os.environ.get("SABOR_SIGNIN_MAX_FAILURES", "5"))
WINDOW_S = 900.0
LOCK_S = float(os.environ.get("SABOR_SIGNIN_LOCK_S", "30"))
MAX_LOCK_S = 900.0


def auth_enabled() -> bool:
    return os.environ.get("SABOR_AUTH", "0").strip().lower() in ("1", "true", "on", "yes")


class Throttle:
    """Failures per key in a sliding window; `wait(key)` is how many seconds the key must still wait."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S, lock_s: float = LOCK_S):
        self.max_failures, self.window_s, self.lock_s = max_failures, window_s, lock_s
        self._fails: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._fails.get(key, []) if now - t < self.window_s]
        if times:
            self._fails[key] = times
        else:
            self._fails.pop(key, None)
        return times

    def wait(self, key: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                return 0.0
            lock = min(MAX_LOCK_S, self.lock_s * 2 ** (len(times) - self.max_failures))
            return max(0.0, times[-1] + lock - now)

    def fail(self, key: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            self._recent(key, now)
            self._fails.setdefault(key, []).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


THROTTLE = Throttle()   # one per process: every browser session of this server shares it


@dataclass(frozen=True)
class Attempt:
    role: str | None = None      # the role when signed in
    wait_s: float = 0.0          # > 0: too many failures, try again in this many seconds


def sign_in(store, username: str, password: str, session_key: str, throttle: Throttle = THROTTLE) -> Attempt:
    name = (username or "").strip()
    keys = (f"user:{name.lower()}", f"session:{session_key}")
    wait = max(throttle.wait(k) for k in keys)
    if wait > 0:
        audit(store, f"user:{name[:64]}", "signin.throttled", {"username": name[:64], "wait_s": round(wait)})
        return Attempt(wait_s=wait)
    role = verify_user(store, name, password or "")
    if role is None:
        for k in keys:
            throttle.fail(k)
        audit(store, f"user:{name[:64]}", "signin.failed", {"username": name[:64]})
        return Attempt()
    throttle.clear(keys[0])
    throttle.clear(keys[1])
    audit(store, f"user:{name}", "signin", {"username": name, "role": role})
    return Attempt(role=role)


def bootstrap_admin(store) -> str | None:
    """Create the first administrator from the environment when there is no user; returns its name."""
    name = os.environ.get("SABOR_ADMIN_USER", "").strip()
    pw = os.environ.get("SABOR_ADMIN_PASSWORD", "")
    pw_file = os.environ.get("SABOR_ADMIN_PASSWORD_FILE", "")
    if not pw and pw_file:
        try:
            pw = Path(pw_file).read_text(encoding="utf-8").strip()
        except OSError:
            pw = ""
    if not name or not pw or count_users(store):
        return None
    add_user(store, name, "admin", pw, actor="bootstrap")
    return name


def oidc_role(store, email: str | None) -> str | None:
    """The role of a person signed in through the identity provider: their user row (name = e-mail), else
    `SABOR_OIDC_DEFAULT_ROLE` (empty by default: unknown people get nothing)."""
    if not email:
        return None
    role = user_role(store, email)
    if role:
        return role
    default = os.environ.get("SABOR_OIDC_DEFAULT_ROLE", "").strip()
    from analysis.access import ROLES

    return default if default in ROLES else None
