"""Shared fixtures. Every test runs offline, on its own database, with no metrics port bound by default."""
from __future__ import annotations

import os
import socket
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("SABOR_LOG_LEVEL", "WARNING")
# Cargar datos starts the BERT job right after an upload; AppTests of other pages must not load a model in
# their process (tests/e2e/test_walkthrough.py turns it on for its own server).
os.environ.setdefault("SABOR_ANALYZE_ON_UPLOAD", "0")

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT.parent / "shared").resolve()
SHARED_REAL = SHARED / "data" / "real"
# CI sets this (.ci/run): there a missing ../shared is a failure, not a skip.
REQUIRE_SHARED_VAR = "SABOR_REQUIRE_SHARED"


def need_shared(path: Path) -> Path:
    """`path` (inside ../shared, the real public datasets beside the repository), or skip the test with the
    reason when it is absent, as in a plain clone; with SABOR_REQUIRE_SHARED=1 (CI) the test fails
    instead, so CI never passes by skipping."""
    if path.exists():
        return path
    msg = (f"needs the shared real data at {path}, which is absent (the repository is not beside "
           f"../shared); set {REQUIRE_SHARED_VAR}=1 to make this a failure")
    if os.environ.get(REQUIRE_SHARED_VAR, "").strip() not in ("", "0"):
        pytest.fail(msg.split(";")[0] + f" and {REQUIRE_SHARED_VAR} is set", pytrace=False)
    pytest.skip(msg)


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
def demo_truth_store(tmp_path_factory):
    """The demo loaded through the real ingestion with the generator's truth as the model output
    (tests/fixtures_truth.py), once per session: tests read it and never write to it."""
    from analysis.store import Store
    from tests.fixtures_truth import load_demo_with_truth

    s = Store.open(tmp_path_factory.mktemp("demo_truth") / "demo.duckdb")
    load_demo_with_truth(s)
    yield s
    s.close()


@pytest.fixture
def demo_truth_copy(demo_truth_store, tmp_path) -> Path:
    """A private copy of the `demo_truth_store` file (that store is shared read-only), for tests that
    write: open it with Store.open(path) or hand it to a `sabor` subprocess."""
    import shutil

    demo_truth_store.cursor().execute("CHECKPOINT")     # everything in the file, nothing left in the WAL
    dest = tmp_path / "demo_copy.duckdb"
    shutil.copyfile(demo_truth_store.path, dest)
    return dest


@pytest.fixture(scope="session")
def real_dir() -> Path:
    return need_shared(SHARED_REAL)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def exporter() -> tuple[str, int]:
    """The app's /metrics exporter, started in this process on a free loopback port."""
    from analysis.ops import metrics

    # start_exporter() returns the running exporter if this process already started one.
    old = {k: os.environ.get(k) for k in ("SABOR_METRICS_ADDR", "SABOR_METRICS_PORT")}
    os.environ["SABOR_METRICS_ADDR"] = "127.0.0.1"
    os.environ["SABOR_METRICS_PORT"] = str(free_port())
    try:
        started = metrics.start_exporter()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert started is not None, "the metrics exporter could not bind its port"
    addr, port = started
    assert addr == "127.0.0.1", f"tests must scrape a loopback exporter, got {addr}"
    return addr, port


def scrape(addr: str, port: int) -> str:
    with urllib.request.urlopen(f"http://{addr}:{port}/metrics", timeout=5) as r:
        assert r.status == 200
        return r.read().decode()


# One encoder per test session: loading it costs seconds, so every slow test shares it.
@pytest.fixture(scope="session")
def encoder():
    from models.encoder import get_encoder

    return get_encoder()


@pytest.fixture(scope="session")
def analyzer(encoder):
    from models.sentiment import Analyzer, active_head

    head = active_head()
    # The shipped head may carry its own adapted encoder; only the base one can be shared.
    return Analyzer(head, encoder=encoder if head.adapter is None else None)


@pytest.fixture(scope="session")
def demo_scored_store(tmp_path_factory):
    """The demo loaded as a user would and scored by the real model (no truth file): what `make run`
    shows once the background analysis is done. Tests read it and never write to it."""
    from analysis.demo import load_demo
    from analysis.ops.scoring import analyze
    from analysis.store import Store

    s = Store.open(tmp_path_factory.mktemp("demo_scored") / "demo.duckdb")
    load_demo(s)
    analyze(s)
    yield s
    s.close()
