"""/api/v1/analyze and /api/v1/jobs/<id>: the background scorer of `analysis.ops.jobs` (one per process:
the same job the dashboard shows)."""
from __future__ import annotations

from apiflask import APIBlueprint

from analysis.api.auth import actor, json_ok, requires
from analysis.api.errors import problem
from analysis.api.routes.common import json_response, store
from analysis.api.schemas import AnalyzeOut, JobOut
from analysis.ops import jobs
from analysis.store import audit

bp = APIBlueprint("jobs", __name__, url_prefix="/api/v1", tag="Jobs")


@bp.post("/analyze")
@requires(bp, "analyze", ok=json_ok(AnalyzeOut, "The job (started now, or the one already running)"),
          status=202)
def analyze():
    """Analyse pending comments

    Starts scoring the comments that have no prediction yet (BERT sentiment, stars, taste attributes, food
    mentions), then fits topics or assigns new comments to them, in the background. Returns at once with
    the job; follow it at `/api/v1/jobs/{id}`."""
    started = jobs.start_analysis(store())
    job = jobs.state()
    if started:
        audit(store(), actor(), "analyze.start", {"job_id": job.id})
    return json_response({"started": started, "job": job.to_dict()}, 202,
                         {"Location": f"/api/v1/jobs/{job.id}"})


@bp.get("/jobs/<job_id>")
@requires(bp, "read", ok=json_ok(JobOut, "The job's progress"),
          errors={404: "No hay tal trabajo / no such job"})
def job(job_id: str):
    """Job progress

    Status (running, done, failed), comments done of total, rate, seconds left, and the result when done."""
    j = jobs.get(job_id)
    if j is None:
        raise problem(404, "job_not_found", job_id=job_id[:40])
    return json_response(j.to_dict())
