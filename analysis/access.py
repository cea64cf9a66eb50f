"""Roles and what each may do: one table for the HTTP API's tokens and the dashboard's sign-in.

No web framework here: the API (`analysis.api.auth`) and the dashboard ask `allowed(role, action)` and
refuse the rest. Roles are ordered; each one may do everything the one before it may:

- viewer: read (feedback, market series, trends, topics, insights, report, health, jobs)
- analyst: also upload feedback and market files, ask questions, start an analysis, prepare a report,
  edit alert rules
- admin: also manage API tokens and dashboard users, delete uploads, erase a person's comments, train the
  model, read the audit trail

The dashboard's sign-in (`analysis.signin`) uses the same roles: a page or button whose action the role may
not do is not shown, and the code behind it asks `allowed` again before acting.
"""
from __future__ import annotations

ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")

# action -> the least role that may do it
ACTIONS: dict[str, str] = {
    "read": "viewer",
    "upload": "analyst",
    "ask": "analyst",
    "analyze": "analyst",
    "report": "analyst",
    "alerts": "analyst",
    "tokens": "admin",
    "users": "admin",
    "delete": "admin",
    "erase": "admin",
    "train": "admin",
    "audit": "admin",
}


def check_role(role: str) -> str:
    """The role itself, or ValueError with the roles there are (for CLI and API input)."""
    if role not in ROLES:
        raise ValueError(f"rol desconocido: {role!r}; use {', '.join(ROLES)}")
    return role


def minimum_role(action: str) -> str:
    try:
        return ACTIONS[action]
    except KeyError:
        raise ValueError(f"acción desconocida: {action!r}") from None


def allowed(role: str | None, action: str) -> bool:
    """May `role` do `action`? An unknown or missing role may do nothing."""
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(minimum_role(action))


def roles_for(action: str) -> list[str]:
    """Every role that may do `action`, least first (for documentation and error messages)."""
    return list(ROLES[ROLES.index(minimum_role(action)):])
