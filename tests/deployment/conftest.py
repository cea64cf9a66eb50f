"""Fixtures for the operations tests: real promtool/prometheus binaries and the app's own exporter."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import free_port, scrape  # noqa: F401  (shared with the ops tests)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deployment"
INSTALL_HINT = "install it with `bash scripts/install_system_deps.sh` (Debian package `prometheus`)"


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` not found on PATH: {INSTALL_HINT}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return _binary("promtool")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    return _binary("prometheus")


# Metric names in PromQL: identifiers that start with the app's prefix or a process/python collector's.
METRIC_RE = re.compile(r"\b((?:sabor|process|python)_[a-zA-Z0-9_]+)\b")
