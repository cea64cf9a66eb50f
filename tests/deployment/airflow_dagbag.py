"""Run by the isolated Airflow environment's python (scripts/airflow_venv.sh), never by Sabor's: loads a DAG
folder with Airflow's DagBag and writes, as JSON, the import errors and for each DAG its settings, tasks
(upstream ids, retries) and each task's command rendered for a sample run id. (A file, not stdout: Airflow
logs to stdout.)"""
from __future__ import annotations

import json
import sys

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:                    # Airflow 2.x
    from airflow.models.dagbag import DagBag


def main(folder: str, run_id: str, out_path: str) -> None:
    bag = DagBag(dag_folder=folder)
    out = {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}, "dags": {}}
    for dag_id, dag in bag.dags.items():
        tasks = {}
        for t in dag.tasks:
            cmd = getattr(t, "bash_command", None)
            tasks[t.task_id] = {"upstream": sorted(t.upstream_task_ids), "retries": t.retries,
                                "operator": type(t).__name__,
                                "command": t.render_template(cmd, {"run_id": run_id}) if cmd else None}
        out["dags"][dag_id] = {"max_active_runs": dag.max_active_runs, "catchup": dag.catchup,
                               "order": [t.task_id for t in dag.topological_sort()]
                               if hasattr(dag, "topological_sort") else None,
                               "tasks": tasks}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
