"""/api/v1/ask: a question in Spanish or English → the same answer object as `sabor ask --format json`."""
from __future__ import annotations

from apiflask import APIBlueprint

from analysis.api.auth import actor, json_ok, requires
from analysis.api.routes.common import json_response, store
from analysis.api.schemas import AskIn, AskOut
from analysis.ask import ask as ask_data
from analysis.store import audit

bp = APIBlueprint("ask", __name__, url_prefix="/api/v1", tag="Ask")


@bp.post("/ask")
@requires(bp, "ask", ok=json_ok(AskOut, "The answer, as `sabor ask --format json`"), body=True)
@bp.input(AskIn, location="json", arg_name="body")
def ask(body):
    """Ask the data

    A question in Spanish or English ("¿cuántas quejas de precio hubo en Lima en octubre?") answered with
    the figure, the SQL that computed it (guarded, read-only) and its rows. A question the built-in answerer
    cannot read is declined in `answer`, never guessed."""
    answer = ask_data(store(), body["question"])
    audit(store(), actor(), "ask", {"question": answer.question, "sql": answer.sql, "backend": answer.backend,
                                    "error": answer.error})
    return json_response(answer.to_json())
