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
