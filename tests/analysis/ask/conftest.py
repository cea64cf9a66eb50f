"""Fixtures for the ask-the-data tests: a small synthetic database (see ask_fixtures.py)."""
from __future__ import annotations

import pytest

from tests.analysis.ask.ask_fixtures import build_small_db


@pytest.fixture
def small_store(store, monkeypatch):
    # The LLM path must be opt-in per test: never pick up a developer's real key.
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SABOR_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    build_small_db(store)
    return store


@pytest.fixture(scope="session")
def restmex_store(tmp_path_factory, real_dir):
    """shared/data/real/restmex2021_guanajuato_es.csv loaded through the real ingestion (no model output)."""
    from analysis.ingest import ingest_file
    from analysis.store import Store

    s = Store.open(tmp_path_factory.mktemp("restmex") / "restmex.duckdb")
    ingest_file(s, real_dir / "restmex2021_guanajuato_es.csv")
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_foods_store(tmp_path_factory):
    """The demo with its truth as the model output and food mentions found by the real lexicon
    (tests/fixtures_foods.py), once per session: tests read it and never write to it."""
    from analysis.store import Store
    from tests.fixtures_foods import load_demo_with_foods

    s = Store.open(tmp_path_factory.mktemp("demo_foods") / "demo.duckdb")
    load_demo_with_foods(s)
    yield s
    s.close()


@pytest.fixture(scope="session")
def restmex_foods_store(tmp_path_factory, real_dir):
    """The RestMex file with sentiment read from the rating and food mentions (tests/fixtures_foods.py)."""
    from analysis.store import Store
    from tests.fixtures_foods import load_restmex_scored

    s = Store.open(tmp_path_factory.mktemp("restmex_foods") / "restmex.duckdb")
    load_restmex_scored(s, real_dir / "restmex2021_guanajuato_es.csv")
    yield s
    s.close()
