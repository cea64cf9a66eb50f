#!/bin/sh
# Container entry point. With no arguments: readiness check, then the dashboard. Any other
# arguments run as a command instead, e.g. `docker run ... sabor sabor ingest /data/encuesta.csv`.
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

# `sabor serve` starts the /metrics exporter before Streamlit (which runs the app only on the first visit).
exec python -m analysis.cli serve \
    --address "${STREAMLIT_SERVER_ADDRESS:-0.0.0.0}" \
    --port "${STREAMLIT_SERVER_PORT:-8501}"
