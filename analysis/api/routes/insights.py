"""/api/v1/trends, /topics, /insights and /report: the same functions as
`sabor trends|topics|insights|report`.

Reads only: a topic trend or the topic list shows the topics as fitted so far (the analysis job,
`POST /api/v1/analyze` or the dashboard's background scorer, fits them and assigns new comments), where
the CLI fits them on demand first.
"""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response

from analysis.api.auth import json_ok, requires
from analysis.api.errors import lang as request_lang
from analysis.api.routes.common import filters_from, json_response, store
from analysis.api.schemas import InsightsOut, LangQuery, ReportQuery, TopicsOut, TrendsOut, TrendsQuery
from analysis.insight import report
from analysis.insight.topics import topics_json
from analysis.insight.trends import trends_json

bp = APIBlueprint("insights", __name__, url_prefix="/api/v1", tag="Insights")

REPORT_TYPES = {"md": "text/markdown", "html": "text/html", "pdf": "application/pdf"}


@bp.get("/trends")
@requires(bp, "read", ok=json_ok(TrendsOut, "Shifts, as `sabor trends --format json`"))
@bp.input(TrendsQuery, location="query", arg_name="q")
def trends(q):
    """Trends

    Emerging and declining tastes, foods, topics, words, products or regions (`by`), each share tested over
    every candidate start month (Benjamini–Hochberg): `shifts` = when each significant change started,
    `recent` = the latest 3 months against the 6 before."""
    return json_response(trends_json(store(), by=q["by"], period=q["period"], filters=filters_from(q)))


@bp.get("/topics")
@requires(bp, "read", ok=json_ok(TopicsOut, "Topics, as `sabor topics --format json`"))
def topics():
    """Topics

    The current topics (BERTopic): label, keywords, representative phrase, size, share and three
    representative comments (PII redacted). `run` is null until the first fit."""
    return json_response(topics_json(store()))


def _lang(q) -> str:
    return q.get("lang") or request_lang()


@bp.get("/insights")
@requires(bp, "read",
          ok=json_ok(InsightsOut, "Recommendations with evidence, as `sabor insights --format json`"))
@bp.input(LangQuery, location="query", arg_name="q")
def insights(q):
    """Insights

    The executive summary, ranked recommendations for product development, marketing and risk (each with
    its numbers, confidence, three PII-redacted comments and the market series beside it) and the content
    findings (foods, topics, words)."""
    return json_response(report.insights_json(store(), filters_from(q), _lang(q)))


@bp.get("/report")
@requires(bp, "read", ok={"description": "The report file", "content": {
    "text/markdown": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}})
@bp.input(ReportQuery, location="query", arg_name="q")
def report_file(q):
    """Report

    The insights report as Markdown (charts embedded), HTML or PDF: what `sabor report` writes."""
    fmt = q["format"]
    data = report.render(report.gather(store(), filters_from(q), _lang(q)), fmt)
    mimetype = REPORT_TYPES[fmt]
    resp = Response(data, mimetype=mimetype)
    if fmt != "pdf":
        resp.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    resp.headers["Content-Disposition"] = f'attachment; filename="sabor_informe.{fmt}"'
    return resp
