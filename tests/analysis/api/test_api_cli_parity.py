"""The API and the CLI give the same trends, insights and answers on the demo scored by the real model:
`sabor trends|insights|ask --format json` (run in this process on the same database file) against the
routes, compared as parsed JSON."""
from __future__ import annotations

import contextlib
import io
import json

import pytest

from analysis.cli import main
from tests.analysis.api.conftest import PREFIX, bearer

# The first test to use `demo_scored_store` pays for scoring the 13k demo comments with the real model:
# 1-4 min on a quiet 2-core machine, more than pytest's default 900 s when the cores are shared.
pytestmark = pytest.mark.timeout(2400)


def cli_json(db, *args) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--db", str(db), *args])
    assert code == 0, args
    return json.loads(out.getvalue())


@pytest.mark.parametrize("by,period", [("attribute", "month"), ("mention", "month"), ("term", "quarter"),
                                       ("product", "month"), ("region", "quarter")])
def test_trends_are_the_same(scored_api, demo_scored_store, by, period):
    client, tokens = scored_api
    api = client.get(f"{PREFIX}/trends?by={by}&period={period}", headers=bearer(tokens["viewer"])).get_json()
    cli = cli_json(demo_scored_store.path, "trends", "--by", by, "--period", period, "--format", "json")
    assert api == cli
    if by == "attribute":
        assert api["shifts"], "the scored demo should show taste shifts"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_insights_are_the_same(scored_api, demo_scored_store, lang):
    client, tokens = scored_api
    api = client.get(f"{PREFIX}/insights?lang={lang}", headers=bearer(tokens["viewer"])).get_json()
    cli = cli_json(demo_scored_store.path, "--lang", lang, "insights", "--format", "json")
    assert api == cli
    assert api["recommendations"] and api["summary"]["text"]
    assert all(len(r["verbatims"]) >= 1 for r in api["recommendations"] if r["kind"] != "watch")


@pytest.mark.parametrize("question", [
    "¿cuántas quejas de precio hubo en Lima en octubre?",
    "What was the average rating in Arequipa in 2024?",
    "¿qué producto tiene más comentarios negativos?",
    "¿cuál es el color favorito de los gatos?",        # declined by both, the same way
])
def test_ask_answers_are_the_same(scored_api, demo_scored_store, question, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client, tokens = scored_api
    api = client.post(PREFIX + "/ask", json={"question": question}, headers=bearer(tokens["analyst"]))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["--db", str(demo_scored_store.path), "ask", question, "--format", "json"])
    assert api.status_code == 200 and api.get_json() == json.loads(out.getvalue())
