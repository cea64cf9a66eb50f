"""Helpers every route module uses: the process's Store, the sidebar filters from a query, JSON replies."""
from __future__ import annotations

import math

from flask import current_app, jsonify

from analysis.exports import plain
from analysis.filters import Filters


def store():
    """The process's Store (shared with the dashboard when both run in one process)."""
    return current_app.extensions["sabor"]["store"]()


def filters_from(q: dict) -> Filters:
    return Filters(q.get("date_from"), q.get("date_to"), tuple(q.get("product") or ()),
                   tuple(q.get("region") or ()), tuple(q.get("channel") or ()))


def json_response(obj, status: int = 200, headers: dict | None = None):
    resp = jsonify(plain(obj))
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def page_of(df, total: int, page: int, per_page: int) -> dict:
    return {"items": plain(df), "page": page, "per_page": per_page, "total": total,
            "pages": math.ceil(total / per_page) if total else 0}

