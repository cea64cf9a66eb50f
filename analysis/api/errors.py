"""Every error as RFC 9457 problem details (`application/problem+json`), in Spanish or English.

The language is the best match of `Accept-Language` among es/en (Spanish when none is given). A problem
carries `type` (`urn:sabor:problem:<code>`), `title` (the status in words), `status`, `detail` (what went
wrong and what to do), `instance` (the path), `code` (a stable machine-readable reason), `request_id`
(the same as the `X-Request-ID` header), and per kind: `errors` (422: field → messages), `retry_after`
(429), `roles` (403). Nothing else leaks: no traceback, no SQL, no token.
"""
from __future__ import annotations

import re

from apiflask import HTTPError
from flask import Flask, Response, g, json, request

PROBLEM_JSON = "application/problem+json"
LANGS = ("es", "en")

TITLES: dict[int, tuple[str, str]] = {
    400: ("Solicitud incorrecta", "Bad request"),
    401: ("No autenticado", "Unauthorized"),
    403: ("Prohibido", "Forbidden"),
    404: ("No encontrado", "Not found"),
    405: ("Método no permitido", "Method not allowed"),
    409: ("Conflicto", "Conflict"),
    413: ("Contenido demasiado grande", "Content too large"),
    415: ("Tipo de contenido no soportado", "Unsupported media type"),
    422: ("Contenido no procesable", "Unprocessable content"),
    429: ("Demasiadas solicitudes", "Too many requests"),
    500: ("Error interno", "Internal server error"),
    503: ("Servicio no disponible", "Service unavailable"),
}

# code -> (detail es, detail en); `{name}` fields are filled from the problem's extra data.
DETAILS: dict[str, tuple[str, str]] = {
    "bad_request": ("La solicitud no se pudo leer (¿JSON mal formado?).",
                    "The request could not be read (malformed JSON?)."),
    "missing_token": ("Falta el token: envíe la cabecera «Authorization: Bearer <token>» "
                      "(créelo con «sabor token create»).",
                      "No token: send the header \"Authorization: Bearer <token>\" "
                      "(create one with \"sabor token create\")."),
    "invalid_token": ("El token no es válido o fue revocado.", "The token is not valid or was revoked."),
    "forbidden_role": ("Su rol «{role}» no permite esta acción; hace falta uno de: {roles}.",
                       "Your role \"{role}\" may not do this; it needs one of: {roles}."),
    "not_found": ("No existe el recurso {path}.", "There is no resource at {path}."),
    "method_not_allowed": ("El método {method} no está permitido en {path}.",
                           "Method {method} is not allowed on {path}."),
    "too_large": ("El contenido supera el límite de {limit_mb} MB (SABOR_MAX_UPLOAD_MB).",
                  "The content exceeds the {limit_mb} MB limit (SABOR_MAX_UPLOAD_MB)."),
    "unsupported_media_type": (
        "Envíe JSON (application/json) o un archivo (multipart/form-data, campo «file»).",
        "Send JSON (application/json) or a file (multipart/form-data, field \"file\")."),
    "validation": ("Revise los campos indicados en «errors».", "Check the fields listed in \"errors\"."),
    "rate_limited": (
        "Límite de {limit} solicitudes por minuto para este token; reintente en {retry_after} s.",
        "Limit of {limit} requests per minute for this token; retry in {retry_after} s."),
    "job_not_found": ("No hay un trabajo con el id {job_id} (se guardan los últimos 20).",
                      "There is no job with id {job_id} (the last 20 are kept)."),
    "upload_not_found": ("No hay una carga con el id {upload_id}.",
                         "There is no upload with id {upload_id}."),
    "token_not_found": ("No hay un token activo llamado {name}.", "There is no active token called {name}."),
    "token_exists": ("Ya existe un token activo llamado {name}; revóquelo antes o use otro nombre.",
                     "An active token called {name} already exists; revoke it first or use another name."),
    "user_not_found": ("No hay un usuario activo llamado {name}.", "There is no active user called {name}."),
    "internal": ("Error interno; se registró con el id de la solicitud {request_id}.",
                 "Internal error; it was logged with request id {request_id}."),
    "unavailable": ("La base de datos o el modelo no están listos.",
                    "The database or the model is not ready."),
}

# The common marshmallow messages, in Spanish (English is marshmallow's own wording).
_FIELD_MESSAGES_ES: list[tuple[re.Pattern, str]] = [(re.compile(p), r) for p, r in (
    (r"^Missing data for required field\.$", "Falta este campo obligatorio."),
    (r"^Unknown field\.$", "Campo desconocido."),
    (r"^Field may not be null\.$", "El campo no puede ser nulo."),
    (r"^Not a valid string\.$", "No es un texto válido."),
    (r"^Not a valid integer\.$", "No es un número entero válido."),
    (r"^Not a valid number\.$", "No es un número válido."),
    (r"^Not a valid boolean\.$", "No es un valor booleano válido."),
    (r"^Not a valid date\.$", "No es una fecha válida (use AAAA-MM-DD)."),
    (r"^Not a valid list\.$", "No es una lista válida."),
    (r"^Not a valid mapping type\.$", "No es un objeto JSON válido."),
    (r"^Invalid input type\.$", "Tipo de dato no válido."),
    (r"^Must be one of: (.*)\.$", r"Debe ser uno de: \1."),
    (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
     r"Debe estar entre \1 y \2."),
    (r"^Must be greater than or equal to (\S+)\.$", r"Debe ser mayor o igual que \1."),
    (r"^Must be less than or equal to (\S+)\.$", r"Debe ser menor o igual que \1."),
    (r"^Length must be between (\d+) and (\d+)\.$", r"La longitud debe estar entre \1 y \2."),
    (r"^Shorter than minimum length (\d+)\.$", r"Más corto que el mínimo de \1."),
    (r"^Longer than maximum length (\d+)\.$", r"Más largo que el máximo de \1."),
)]


def lang() -> str:
    """es or en from Accept-Language (Spanish first: the product's language)."""
    try:
        return request.accept_languages.best_match(LANGS, default="es") or "es"
    except RuntimeError:   # outside a request
        return "es"


def problem(status: int, code: str, headers: dict | None = None, **extra) -> HTTPError:
    """An HTTPError the error processor renders as a problem (raise it)."""
    return HTTPError(status, message=code, headers=headers, extra_data={"_code": code, **extra})


def _translate_messages(messages, es: bool):
    if isinstance(messages, dict):
        return {str(k): _translate_messages(v, es) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [_translate_messages(m, es) for m in messages]
    if not es or not isinstance(messages, str):
        return messages
    for pat, rep in _FIELD_MESSAGES_ES:
        if pat.match(messages):
            return pat.sub(rep, messages)
    return messages


_STATUS_CODES = {400: "bad_request", 401: "missing_token", 403: "forbidden_role", 404: "not_found",
                 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
                 422: "validation", 429: "rate_limited", 500: "internal", 503: "unavailable"}


def _fill(template: str, fields: dict) -> str:
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].strip()


def problem_body(error: HTTPError) -> dict:
    es = lang() == "es"
    status = int(error.status_code)
    extra = dict(error.extra_data or {})
    code = extra.pop("_code", None) or _STATUS_CODES.get(status, "error")
    detail_text = extra.pop("_detail", None)   # a message already written (e.g. the loader's)
    fields = {"path": request.path, "method": request.method, "request_id": g.get("request_id", ""),
              "limit_mb": _limit_mb(),
              **{k: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for k, v in extra.items()}}
    if detail_text is None:
        tmpl = DETAILS.get(code)
        detail_text = _fill(tmpl[0 if es else 1], fields) if tmpl else (error.message or "")
    body = {"type": f"urn:sabor:problem:{code}",
            "title": TITLES.get(status, (error.message, error.message))[0 if es else 1] or str(status),
            "status": status, "detail": detail_text, "instance": request.path, "code": code,
            "request_id": g.get("request_id", "")}
    if status == 422 and error.detail:
        body["errors"] = _translate_messages(error.detail, es)
    for key in ("retry_after", "roles", "reason", "limit"):
        if key in extra:
            body[key] = extra[key]
    return body


def _limit_mb() -> str:
    from analysis.ingest.readers import max_upload_bytes

    mb = max_upload_bytes() / (1024 * 1024)
    return f"{mb:g}"


def render(error: HTTPError) -> Response:
    body = problem_body(error)
    resp = Response(json.dumps(body, ensure_ascii=False), status=body["status"], mimetype=PROBLEM_JSON)
    for k, v in (error.headers or {}).items():
        if k.lower() != "content-type":
            resp.headers[k] = v
    resp.headers["Content-Language"] = lang()
    return resp


def install(app: Flask) -> None:
    """Problem details for HTTPError, every werkzeug HTTP exception, and any unexpected exception."""
    from analysis.ops.logs import get_logger

    log = get_logger("sabor.api")
    app.error_processor(render)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):  # the traceback goes to the log (JSON, no request body), never out
        log.exception("api_unhandled_error", extra={"error_type": type(e).__name__,
                                                    "request_id": g.get("request_id")})
        return render(problem(500, "internal"))


def problem_schema(validation: bool = False) -> dict:
    """The JSON schema of a problem (apiflask's HTTP_ERROR_SCHEMA / VALIDATION_ERROR_SCHEMA)."""
    props = {
        "type": {"type": "string", "description": "urn:sabor:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "stable reason code"},
        "request_id": {"type": "string"},
        "retry_after": {"type": "integer", "description": "429: seconds to wait"},
        "roles": {"type": "array", "items": {"type": "string"}, "description": "403: roles that may"},
        "reason": {"type": "string"},
        "limit": {"type": "integer"},
    }
    if validation:
        props["errors"] = {"type": "object", "description": "where → field → messages"}
    return {"type": "object", "properties": props, "required": ["type", "title", "status", "code"]}
