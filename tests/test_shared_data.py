"""Tests that travel: a test that needs ../shared (the real datasets beside the repository) skips with the
reason in a plain clone, and fails under SABOR_REQUIRE_SHARED=1, which CI (.ci/run) sets."""
from __future__ import annotations

import pytest

from tests.conftest import ROOT, need_shared


def test_missing_shared_data_skips_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("SABOR_REQUIRE_SHARED", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs the shared real data"):
        need_shared(tmp_path / "shared" / "data" / "real")


def test_ci_makes_missing_shared_data_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("SABOR_REQUIRE_SHARED", "1")
    with pytest.raises(pytest.fail.Exception, match="SABOR_REQUIRE_SHARED is set"):
        need_shared(tmp_path / "shared" / "data" / "real")


def test_present_data_is_returned(tmp_path):
    assert need_shared(tmp_path) == tmp_path


def test_ci_entry_point_requires_the_shared_data():
    assert "export SABOR_REQUIRE_SHARED=1" in (ROOT / ".ci" / "run").read_text()
