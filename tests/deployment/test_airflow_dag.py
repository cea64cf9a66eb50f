"""deployment/airflow/: the DAG loads in Apache Airflow's own DagBag without import errors, has one task per
stage in the refresh's order, and the commands Airflow renders run Sabor's real CLI stage by stage.

Airflow cannot be installed beside Sabor's pinned stack, so it lives in an isolated venv built once by
scripts/airflow_venv.sh (pinned: deployment/airflow/requirements.txt + constraints; about a minute the first
time, cached under ~/.cache/sabor). The checker runs in that venv; the stages run in Sabor's."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.alert_servers import WebhookReceiver
from tests.analysis.ops.test_refresh import RULES
from tests.deployment.conftest import DEPLOY, ROOT

STAGES = ["inbox", "score", "topics", "trends", "alerts"]
RUN = "manual__2026-12-01T00:00:00+00:00"


@pytest.fixture(scope="session")
def airflow_python() -> str:
    r = subprocess.run(["bash", str(ROOT / "scripts" / "airflow_venv.sh")], cwd=ROOT, capture_output=True,
                       text=True, timeout=1500, check=False)
    if r.returncode != 0:
        pytest.fail(f"could not build the isolated Airflow environment:\n{r.stderr[-3000:]}", pytrace=False)
    return r.stdout.strip().splitlines()[-1]


def dagbag(airflow_python: str, folder, tmp_path, sabor_bin: str = "sabor") -> dict:
    out = tmp_path / "dagbag.json"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AIRFLOW_HOME": str(tmp_path / "airflow"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "SABOR_BIN": sabor_bin}
    checker = ROOT / "tests" / "deployment" / "airflow_dagbag.py"
    r = subprocess.run([airflow_python, str(checker), str(folder), RUN, str(out)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(out.read_text())


def test_the_dag_loads_without_import_errors_with_one_task_per_stage_in_order(airflow_python, tmp_path):
    bag = dagbag(airflow_python, DEPLOY / "airflow", tmp_path)
    assert bag["import_errors"] == {}
    dag = bag["dags"]["sabor_refresh"]
    assert dag["order"] == STAGES and dag["max_active_runs"] == 1 and dag["catchup"] is False
    tasks = dag["tasks"]
    assert list(tasks) == STAGES
    for prev, stage in zip([None] + STAGES, STAGES):
        assert tasks[stage]["upstream"] == ([prev] if prev else []), stage
        assert tasks[stage]["operator"] == "BashOperator"
        cmd = tasks[stage]["command"]
        assert cmd.startswith(f'"sabor" refresh --stage {stage} --run-id "airflow-{RUN}"'), cmd
    assert tasks["alerts"]["retries"] == 0 and tasks["score"]["retries"] == 2


def test_a_broken_dag_is_reported_as_an_import_error(airflow_python, tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    shutil.copy(DEPLOY / "airflow" / "sabor_refresh_dag.py", folder / "broken.py")
    with (folder / "broken.py").open("a") as f:
        f.write("\nimport sabor_module_that_does_not_exist\n")
    bag = dagbag(airflow_python, folder, tmp_path)
    assert len(bag["import_errors"]) == 1 and "sabor_module_that_does_not_exist" in str(bag["import_errors"])


def test_the_rendered_commands_run_the_real_cli_stage_by_stage(airflow_python, demo_truth_copy, tmp_path):
    shim = tmp_path / "bin" / "sabor"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\ncd "{ROOT}" && exec "{sys.executable}" -m analysis.cli "$@"\n')
    shim.chmod(0o755)
    tasks = dagbag(airflow_python, DEPLOY / "airflow", tmp_path, str(shim))["dags"]["sabor_refresh"]["tasks"]
    rules = tmp_path / "reglas.yaml"
    rules.write_text(RULES, encoding="utf-8")
    (tmp_path / "entrada").mkdir()
    (tmp_path / "entrada" / "roto.pdf").write_bytes(b"%PDF-1.4")       # the inbox stage exits 3: mapped to 0
    with WebhookReceiver() as hook:
        env = {**os.environ, "SABOR_DB": str(demo_truth_copy), "SABOR_INBOX": str(tmp_path / "entrada"),
               "SABOR_ALERT_RULES": str(rules), "SABOR_ALERT_WEBHOOK_URL": hook.url,
               "SABOR_REFRESH_SKIP": "score,topics", "SABOR_REFRESH_DIMENSIONS": "attribute"}
        for stage in STAGES:                  # as Airflow's workers would, in the DAG's order
            r = subprocess.run(["bash", "-c", tasks[stage]["command"]], env=env, capture_output=True,
                               text=True, timeout=600, check=False)
            assert r.returncode == 0, (stage, r.stderr[-2000:])
    assert len(hook.requests) == 1
    from analysis.ops.refresh import summary
    from analysis.store import Store

    s = Store.open(demo_truth_copy)
    try:
        run = summary(s, f"airflow-{RUN}")
    finally:
        s.close()
    assert list(run["stages"]) == STAGES and run["status"] == "partial"       # the refused file
    assert (run["files_failed"], run["alerts_new"], run["alerts_sent"]) == (1, 1, 1)
