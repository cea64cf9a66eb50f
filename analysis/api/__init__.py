"""The HTTP API: a thin Flask layer over the functions the CLI and the dashboard call.

`create_app(store)` builds it (`analysis.api.app`); `analysis.api.server` serves it — in a thread of the
dashboard's process (`sabor serve --api-port 8600`, what `make run` does: DuckDB admits one writing
process per file, so the API shares the dashboard's Store) or alone (`sabor api`, or gunicorn with
`analysis.api.wsgi:app` in the container's API-only mode). Routes live in `analysis.api.routes`, one module
per resource; tokens and roles in `auth` (roles themselves in `analysis.access`), problem details in
`errors`, the rate limit in `limits`, the request/response schemas in `schemas`.
"""
from analysis.api.app import create_app

__all__ = ["create_app"]
