"""Loading a file or JSON rows through `analysis.ingest.ingest_bytes`, shared by /feedback and /market."""
from __future__ import annotations

import json
from pathlib import Path

from flask import request
from marshmallow import ValidationError

from analysis.api.auth import actor
from analysis.api.errors import problem
from analysis.api.routes.common import json_response, store
from analysis.api.schemas import FileIn, RowsIn
from analysis.ingest import IngestError, ingest_bytes
from analysis.ingest.schema import parse_map_args
from analysis.store import audit, load_detail


def _validation(where: str, messages) -> Exception:
    from apiflask import HTTPError

    return HTTPError(422, message="Validation error", detail={where: messages})


def _parse_map(items: list[str], where: str) -> dict[str, str]:
    try:
        return parse_map_args(items)
    except ValueError as e:
        raise _validation(where, {"map": [str(e)]}) from None


def read_upload() -> tuple[bytes, str, dict[str, str]]:
    """(bytes, file name, column overrides) from a JSON or multipart request, validated."""
    ctype = request.mimetype
    if ctype == "application/json":
        try:
            body = RowsIn().load(request.get_json(force=True, silent=False))
        except ValidationError as e:
            raise _validation("json", e.messages) from None
        overrides = _parse_map([f"{k}={v}" for k, v in (body.get("map") or {}).items()], "json")
        stem = Path(body.get("file_name") or "api").stem or "api"
        data = json.dumps(body["rows"], ensure_ascii=False, default=str).encode("utf-8")
        return data, f"{stem}.json", overrides
    if ctype == "multipart/form-data":
        form: dict = {k: request.form.get(k) for k in request.form if k != "map"}   # unknown → 422
        form["map"] = request.form.getlist("map")
        form.update({k: request.files[k] for k in request.files})
        try:
            body = FileIn().load(form)
        except ValidationError as e:
            raise _validation("files", e.messages) from None
        f = body["file"]
        name = Path(f.filename or "").name
        if not name:
            raise _validation("files", {"file": ["Falta el nombre del archivo / the file has no name."]})
        return f.read(), name, _parse_map(body.get("map") or [], "files")
    raise problem(415, "unsupported_media_type")


def load(kind: str):
    """Load the request's rows as `kind` (feedback or market): 201 with the load report, or 200 when these
    exact bytes were loaded before (nothing created; `already_loaded` and Location name that upload)."""
    data, name, overrides = read_upload()
    try:
        report = ingest_bytes(store(), data, name, overrides, kind=kind)
    except IngestError as e:
        if e.reason == "too_large":
            raise problem(413, "too_large") from None
        raise problem(422, f"ingest_{e.reason}", _detail=str(e), reason=e.reason) from None
    audit(store(), actor(), f"{kind}.upload", load_detail(report))
    status = 200 if report.already_loaded else 201
    return json_response(report.to_dict(), status, {"Location": f"/api/v1/uploads/{report.upload_id}"})
