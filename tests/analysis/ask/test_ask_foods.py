"""Food mentions in "ask the data", end to end over the demo with food mentions (tests/fixtures_foods.py) and
the RestMex file without a food scan: facts, guarded SQL, sentences that say which reading was taken."""
from __future__ import annotations

import pytest

from analysis.ask import ask
from analysis.ask.facts import load_facts


@pytest.fixture(autouse=True)
def _no_llm(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def test_facts_know_the_foods_of_the_data(demo_foods_store, restmex_store):
    f = load_facts(demo_foods_store)
    assert f.has_foods and f.food_unscanned == 0
    assert {"chicha morada", "ají amarillo", "café"} <= set(f.foods)
    assert "bebidas frías" in f.food_families and "mariscos y pescados" not in f.food_families
    r = load_facts(restmex_store)
    assert not r.has_foods and r.foods == ()


def test_count_of_a_food_agrees_with_the_view_and_says_the_reading(demo_foods_store):
    a = ask(demo_foods_store, "¿Cuántos comentarios mencionan la chicha morada en 2025?", client=None)
    n = demo_foods_store.scalar("SELECT count(DISTINCT feedback_id) FROM foods_enriched "
                                "WHERE entry = 'chicha morada' AND year = 2025")
    assert a.error is None and a.rows == [[n]] and n > 0
    assert a.sentence.startswith(f"Hubo {n} comentarios que mencionan chicha morada en 2025.")
    assert "no como el producto Chicha morada embotellada 500 ml" in a.sentence
    p = ask(demo_foods_store, "¿Cuántos comentarios sobre la chicha morada hay en 2025?", client=None)
    assert p.rows[0][0] > n and "como el producto Chicha morada embotellada 500 ml, no como el alimento" \
        in p.sentence


def test_grouping_by_family_in_english(demo_foods_store):
    a = ask(demo_foods_store, "Which food family is mentioned most in Lima?", client=None)
    top = demo_foods_store.query("SELECT family, count(DISTINCT feedback_id) AS n FROM foods_enriched "
                                 "WHERE region = 'Lima' GROUP BY 1 ORDER BY n DESC LIMIT 1")
    assert a.rows == [[top["family"][0], int(top["n"][0])]]
    assert a.sentence.startswith("Cold drinks is the food family with the most mentions in Lima")


def test_share_of_negative_mentions_of_a_food(demo_foods_store):
    a = ask(demo_foods_store, "¿Qué porcentaje de las menciones de kiwicha son negativas?", client=None)
    neg, allc = demo_foods_store.query(
        "SELECT count(DISTINCT feedback_id) FILTER (WHERE polarity = 'negative') AS neg, "
        "count(DISTINCT feedback_id) AS n FROM foods_enriched WHERE entry = 'kiwicha'").iloc[0]
    assert a.rows == [[round(100 * neg / allc, 1), neg, allc]]
    assert a.sentence.startswith(f"El {round(100 * neg / allc, 1)}% de los comentarios que mencionan kiwicha")


def test_data_not_scanned_for_foods(restmex_store):
    a = ask(restmex_store, "¿Qué familia de alimentos se menciona más?", client=None)
    assert a.error == "cannot_answer" and "no se han analizado en busca de alimentos" in a.sentence
    w = ask(restmex_store, "¿Cuántas reseñas hablan de postres?", client=None)
    assert w.error is None and "contienen «postres»" in w.sentence and "busqué las palabras" in w.sentence


def test_a_new_food_scan_changes_the_facts(tmp_path):
    """The facts (and the dashboard's caches) are keyed by data_version, which watches the food scans."""
    from analysis.store import Store
    from tests.fixtures_foods import add_foods, demo_food_frame
    from tests.fixtures_truth import FIXTURE_MODEL, load_demo_with_truth

    s = Store.open(tmp_path / "demo.duckdb")
    try:
        load_demo_with_truth(s)
        before = s.data_version()
        assert not load_facts(s).has_foods
        add_foods(s, demo_food_frame(), FIXTURE_MODEL)
        assert s.data_version() != before and load_facts(s).has_foods
    finally:
        s.close()
