"""Shared fixtures. Every test runs offline, on its own database, with no metrics port bound by default."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("SABOR_LOG_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parents[1]
SHARED_REAL = (ROOT.parent / "shared" / "data" / "real").resolve()


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    p = tmp_path / "sabor.duckdb"
    monkeypatch.setenv("SABOR_DB", str(p))
    return p


@pytest.fixture
def store(db_path):
    from analysis.store import Store

    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not SHARED_REAL.is_dir():
        pytest.fail(f"shared real data not found at {SHARED_REAL}: the repo must sit beside ../shared")
    return SHARED_REAL
