# Sabor: two commands on a fresh machine.
#   make run   installs what is missing (.venv, pinned requirements) and starts the dashboard on the demo data,
#              with the HTTP API on 127.0.0.1:$(API_PORT) served by the same process (one DuckDB writer)
#   make test  installs what tests need (Python dev tools, Debian chromium + prometheus, Airflow in its
#              own venv for the DAG check) and runs every test
# A stamp keyed on the requirements' hash makes the second run install nothing.

PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
API_PORT ?= 8600
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

REQ_HASH := $(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
DEV_HASH := $(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -c1-16)
RUN_STAMP := $(VENV)/.installed-run-$(REQ_HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(DEV_HASH)

.PHONY: run test install install-dev system-deps airflow-env demo lint bench clean-db

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Se necesita Python 3.11 ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): | $(PY)
	@echo "Instalando dependencias (una sola vez, ~3 min)…"
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(DEV_STAMP): $(RUN_STAMP)
	$(PY) -m pip install -q -r requirements-dev.txt
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

system-deps:
	@bash scripts/install_system_deps.sh

# Apache Airflow in its own venv (it cannot sit beside the pinned stack), only to load
# deployment/airflow/ in Airflow's DagBag; built once (~1 min), cached under ~/.cache/sabor.
airflow-env:
	@PYTHON=$(PYTHON) bash scripts/airflow_venv.sh >/dev/null

demo: install
	$(PY) -m analysis.cli demo

run: install
	@$(PY) -m analysis.cli demo >/dev/null
	@echo "Sabor: http://127.0.0.1:$(PORT)  (métricas: http://127.0.0.1:$${SABOR_METRICS_PORT:-9108}/metrics)"
	@echo "API:   http://127.0.0.1:$(API_PORT)/api/v1/docs  (tokens: .venv/bin/sabor token create --role analyst --name yo, con la app detenida)"
	$(PY) -m analysis.cli serve --port $(PORT) --address 127.0.0.1 --analyze \
		--api-port $(API_PORT) --api-address 127.0.0.1

test: install-dev system-deps airflow-env
	$(PY) -m pytest -q --durations=20

lint: install-dev
	$(VENV)/bin/ruff check analysis models dashboard tests bench data

bench: install
	$(PY) bench/ingest.py
