#!/bin/sh
# Container entry point. With no arguments: readiness check, then one process serving the dashboard (8501)
# and the HTTP API (8600) over the one DuckDB file (DuckDB admits one writing process per file).
# SABOR_MODE=api serves the API alone with gunicorn (no dashboard on this database).
# Any other arguments run as a command instead, e.g. `docker run ... sabor sabor ingest /data/encuesta.csv`.
set -eu
# The app root (/app in the image; the checkout when run by hand): imports and data/ resolve from here.
cd "$(dirname "$0")/../.."

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

# Fail fast (and say why) if the volume is not writable or the model is missing, before serving.
python -m analysis.health >/tmp/readiness.json || {
    cat /tmp/readiness.json >&2
    echo "sabor: la comprobación de arranque falló (ver arriba)" >&2
    exit 1
}

if [ "${SABOR_LOAD_DEMO:-0}" = "1" ]; then
    python -m analysis.cli demo >/dev/null
fi

if [ "${SABOR_MODE:-app}" = "api" ]; then
    # The API alone: gunicorn, one worker (the one DuckDB writer), threads; /metrics from the worker.
    exec gunicorn --config deployment/docker/gunicorn.conf.py analysis.api.wsgi:app
fi

# `sabor serve` starts the /metrics exporter and the API (a thread, port SABOR_API_PORT) before Streamlit
# (which runs the app only on the first visit).
exec python -m analysis.cli serve \
    --address "${STREAMLIT_SERVER_ADDRESS:-0.0.0.0}" \
    --port "${STREAMLIT_SERVER_PORT:-8501}" \
    --api-address "${SABOR_API_ADDR:-0.0.0.0}" \
    --api-port "${SABOR_API_PORT:-8600}"
