"""scripts/install_system_deps.sh: installs only what is missing, `apt-get update` at most once.

apt-get is replaced by a recorder on PATH (dpkg-query stays real), so the test never installs anything.
"""
from __future__ import annotations

import os
import subprocess

import pytest

from tests.deployment.conftest import ROOT

SCRIPT = ROOT / "scripts" / "install_system_deps.sh"


@pytest.fixture
def run(tmp_path):
    log = tmp_path / "apt.log"
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "apt-get").write_text(f'#!/bin/sh\necho "$*" >> {log}\nexit 0\n')
    (shim / "apt-get").chmod(0o755)

    def go(packages: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}", "SABOR_SYSTEM_PACKAGES": packages}
        r = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60,
                           check=False)
        return r, log.read_text().splitlines() if log.exists() else []

    return go


def test_nothing_to_do_when_everything_is_installed(run):
    r, calls = run("dpkg bash")  # always present on Debian
    assert r.returncode == 0 and calls == [] and r.stdout == "" and r.stderr == ""


def test_installs_only_the_missing_package_after_one_update(run):
    r, calls = run("dpkg sabor-paquete-inexistente")
    assert [c.split()[-1] for c in calls if c.endswith(" update")] == ["update"]
    installs = [c for c in calls if " install " in c]
    assert (len(installs) == 1
            and installs[0].endswith("install --no-install-recommends sabor-paquete-inexistente"))
    # The recorder installed nothing, so the script must notice and fail loudly.
    assert r.returncode == 1 and "no se pudo instalar sabor-paquete-inexistente" in r.stderr


def test_default_list_covers_browser_and_prometheus():
    text = SCRIPT.read_text()
    assert "chromium chromium-driver prometheus" in text
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0
