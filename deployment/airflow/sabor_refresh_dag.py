"""Sabor's regular refresh as an Airflow DAG: one task per stage, in order
inbox -> score -> topics -> trends -> alerts, each running `sabor refresh --stage STAGE --run-id RUN`.

The tasks call Sabor's own command line, i.e. the same functions `sabor refresh` runs in one process; every
stage reads its inputs from the database, and all five share the run id, so the Alertas page shows one run
with its five stages. Airflow never imports Sabor: Sabor's pinned stack (torch, transformers, DuckDB) stays
in its own environment or image, and Airflow only needs the `sabor` executable.

On the worker, set:
    SABOR_BIN     Sabor's executable (default `sabor`; e.g. /opt/sabor/.venv/bin/sabor)
    SABOR_DB, SABOR_INBOX, SABOR_ALERT_RULES, the alert channels ...   as for `sabor refresh` (README)
    SABOR_REFRESH_SCHEDULE   cron expression (default every 15 minutes)

DuckDB has ONE writer per database file: while the dashboard runs against the same file these tasks
exit 75 ("database locked"), and the retry comes a few minutes later (deployment/README.md). Exit codes of
a stage: 0 ok; 3 the inbox refused a file (kept in failed/ with its report: the run goes on) or an alert
delivery failed (the task fails so it shows; the next run retries the delivery); 2 bad input; 75 locked.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta

try:                                   # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:                    # Airflow 2.x
    from airflow import DAG
    from airflow.operators.bash import BashOperator

SABOR_BIN = os.environ.get("SABOR_BIN", "sabor")
SCHEDULE = os.environ.get("SABOR_REFRESH_SCHEDULE", "*/15 * * * *")
STAGES = ("inbox", "score", "topics", "trends", "alerts")
RUN_ID = "airflow-{{ run_id }}"        # rendered by Airflow: the same for every task of a DAG run


def command(stage: str) -> str:
    cmd = f'"{SABOR_BIN}" refresh --stage {stage} --run-id "{RUN_ID}" --format json'
    if stage == "inbox":
        # a refused file is a data problem, recorded with its report in failed/: scoring goes on
        return f'{cmd}; rc=$?; if [ "$rc" -eq 3 ]; then echo "inbox: some files failed (see failed/)" >&2; ' \
               f'exit 0; fi; exit "$rc"'
    return cmd


with DAG(
    dag_id="sabor_refresh",
    description="Sabor: inbox -> score -> topics -> trends -> alerts",
    schedule=SCHEDULE,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,                 # one writer: never two runs at once
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},   # e.g. database locked (exit 75)
    tags=["sabor"],
) as dag:
    previous = None
    for stage in STAGES:
        task = BashOperator(task_id=stage, bash_command=command(stage),
                            # a failed delivery shows as a failed task; the next run retries it
                            retries=0 if stage == "alerts" else 2,
                            execution_timeout=timedelta(minutes=50))
        if previous is not None:
            previous >> task
        previous = task
