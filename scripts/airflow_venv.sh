#!/usr/bin/env bash
# An isolated Python environment with Apache Airflow, only to check deployment/airflow/ (DagBag): Airflow
# cannot sit beside Sabor's pinned stack, so it gets its own venv under a cache folder, built once:
#   ${SABOR_AIRFLOW_VENV:-$HOME/.cache/sabor/airflow-<version>-py<python>}
# Pinned by deployment/airflow/requirements.txt and the full freeze in constraints-*.txt beside it; a stamp
# keyed on both files makes a second call do nothing. About a minute on 2 cores, ~250 MB. Prints the
# venv's python on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
req=deployment/airflow/requirements.txt
version=$(sed -n 's/^apache-airflow==//p' "$req")
pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
constraints=deployment/airflow/constraints-${version}-py${pyver}.txt
venv=${SABOR_AIRFLOW_VENV:-$HOME/.cache/sabor/airflow-${version}-py${pyver}}
stamp="$venv/.installed-$(cat "$req" "$constraints" 2>/dev/null | sha256sum | cut -c1-16)"

if [ ! -f "$stamp" ]; then
    [ -f "$constraints" ] || { echo "airflow_venv: falta $constraints para Python $pyver" >&2; exit 1; }
    echo "airflow_venv: instalando Apache Airflow $version en $venv (una sola vez, ~1 min)…" >&2
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    if ! { "$venv/bin/python" -m pip install -q --upgrade pip \
           && "$venv/bin/python" -m pip install -q -r "$req" -c "$constraints"; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "airflow_venv: pip falló instalando Apache Airflow $version" >&2
        exit 1
    fi
    touch "$stamp"
fi
echo "$venv/bin/python"
