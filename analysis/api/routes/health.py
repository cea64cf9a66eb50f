"""/api/v1/health: is this process ready to serve? Public: the answer says only ok or not per component
(no paths, no errors: those are in `sabor health`)."""
from __future__ import annotations

from apiflask import APIBlueprint

from analysis.api.auth import json_ok, requires
from analysis.api.routes.common import json_response, store
from analysis.api.schemas import HealthOut, ReadinessOut
from analysis.ops import readiness as data_readiness
from analysis.ops.health import readiness

bp = APIBlueprint("health", __name__, url_prefix="/api/v1", tag="Health")
API_VERSION = "1"


@bp.get("/health")
@bp.doc(responses={200: json_ok(HealthOut, "Ready"), 503: json_ok(HealthOut, "Not ready")})
def health():
    """Health

    Readiness: the database opens and the model is there. 200 when ready, 503 when not. No token needed."""
    r = readiness(store().path)
    body = {"status": "ok" if r["ready"] else "unavailable", "ready": bool(r["ready"]),
            "checks": {k: {"ok": bool(v.get("ok"))} for k, v in r["checks"].items()}, "version": API_VERSION}
    return json_response(body, 200 if r["ready"] else 503)


@bp.get("/readiness")
@requires(bp, "read", ok=json_ok(ReadinessOut, "What is analysed of what is loaded"))
def data_ready():
    """Data readiness

    The same state every dashboard page shows: comments loaded, scored by the model, covered by the current
    topics, and whether trends can be read as final (`trends_ready`), with the background job's progress.
    `state` is one of empty, scoring, topics, pending, failed, ready."""
    return json_response(data_readiness.compute(store()).to_dict())
