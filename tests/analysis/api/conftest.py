"""Fixtures of the HTTP API tests: the app over real DuckDB stores, and a token per role.

Read routes run over the session's `demo_scored_store` (the demo scored by the real model); the API writes
there only `api_tokens` and `audit_log`, which no analysis reads. Routes that load, score or delete run over
a small store of this module's own (`writable`), so the shared demo stays as it is.
"""
from __future__ import annotations

import io
import time

import pandas as pd
import pytest

from analysis.access import ROLES
from analysis.demo import DEMO_FEEDBACK, DEMO_MARKET

PREFIX = "/api/v1"


def make_tokens(store, tag: str) -> dict[str, str]:
    from analysis.store import create_token

    return {role: create_token(store, f"{tag}-{role}-{time.monotonic_ns()}", role, actor="test")
            for role in ROLES}


def bearer(token: str, **extra) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def demo_csv(rows: slice) -> bytes:
    """A slice of the demo survey as CSV bytes (its own Spanish headers, as a user would upload it)."""
    df = pd.read_csv(DEMO_FEEDBACK, dtype=str, keep_default_na=False, encoding="utf-8").iloc[rows]
    return df.to_csv(index=False).encode("utf-8")


def demo_market_csv(rows: slice) -> bytes:
    df = pd.read_csv(DEMO_MARKET, dtype=str, keep_default_na=False, encoding="utf-8").iloc[rows]
    return df.to_csv(index=False).encode("utf-8")


def upload(client, path: str, token: str, data: bytes, name: str = "encuesta.csv", **form):
    return client.post(PREFIX + path, headers=bearer(token), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), **form})


@pytest.fixture(scope="session")
def scored_api(demo_scored_store):
    """(test client, tokens by role) over the demo scored by the real model; no rate limit."""
    from analysis.api import create_app

    app = create_app(demo_scored_store, rate_limit=0)
    return app.test_client(), make_tokens(demo_scored_store, "scored")


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    """(test client, tokens, store) over a fresh store with 40 demo comments and a year of market rows."""
    from analysis.api import create_app
    from analysis.ingest import ingest_bytes
    from analysis.ops import jobs
    from analysis.store import Store

    s = Store.open(tmp_path_factory.mktemp("api_rw") / "api.duckdb")
    ingest_bytes(s, demo_csv(slice(0, 40)), "primeros.csv")
    ingest_bytes(s, demo_market_csv(slice(0, 24)), "mercado.csv", kind="market")
    app = create_app(s, rate_limit=0)
    yield app.test_client(), make_tokens(s, "rw"), s
    wait_for_jobs(jobs)
    s.close()


def wait_for_jobs(jobs, timeout: float = 600) -> None:
    """The background scorer is one per process: let it finish before its store closes."""
    deadline = time.monotonic() + timeout
    while jobs.state().running and time.monotonic() < deadline:
        time.sleep(0.5)
