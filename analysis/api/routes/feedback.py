"""/api/v1/feedback: load comments (a file or JSON rows) and list them with the sidebar's filters."""
from __future__ import annotations

from apiflask import APIBlueprint

from analysis.api.auth import UPLOAD_ERRORS, json_ok, requires
from analysis.api.routes import uploads
from analysis.api.routes.common import filters_from, json_response, page_of, store
from analysis.api.schemas import FeedbackPageOut, FeedbackQuery, LoadReportOut
from analysis.insight.overview import comments_page

bp = APIBlueprint("feedback", __name__, url_prefix="/api/v1", tag="Feedback")


@bp.post("/feedback")
@requires(bp, "upload", ok=json_ok(LoadReportOut, "Load report (as `sabor ingest --format json`)"),
          status=201,
          errors=UPLOAD_ERRORS, body=True)
def upload_feedback():
    """Load comments

    A file (multipart/form-data, field `file`: CSV, TSV, XLSX, JSON, JSONL or Parquet, headers in Spanish or
    English mapped automatically; `map` fields `text=Comentario` override) or JSON rows
    (`{"rows": [{...}], "map": {"text": "Comentario"}}`). One transaction: a refused file changes nothing.
    Returns the load report."""
    return uploads.load("feedback")


@bp.get("/feedback")
@requires(bp, "read", ok=json_ok(FeedbackPageOut, "One page of comments, newest first"))
@bp.input(FeedbackQuery, location="query", arg_name="q")
def list_feedback(q):
    """List comments

    The comments under the same filters as the dashboard's sidebar, with the model's reading (sentiment,
    stars, taste attributes, foods, topic), newest first, one page at a time."""
    rows, total = comments_page(store(), filters_from(q), q["per_page"], (q["page"] - 1) * q["per_page"])
    return json_response(page_of(rows, total, q["page"], q["per_page"]))
