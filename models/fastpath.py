"""Which engine runs the encoder's forward pass, and the ONNX Runtime engines themselves.

Paths (`SABOR_INFERENCE=auto|torch|onnx|onnx-int8`, default auto):
  torch      the `transformers` BertModel: the reference. On a GPU (torch.cuda.is_available()) it runs there
             in bf16 (fp16 where the GPU lacks bf16); on a CPU in the dtype of `encoder.compute_dtype()`
             (bf16 only where AMX/AVX512-BF16 multiply it natively).
  onnx       the same weights (LoRA adapter merged, fp32) exported to ONNX, attention/LayerNorm/GELU fused
             by ONNX Runtime's transformer optimiser, run by ONNX Runtime on the CPU: needs no particular
             CPU generation, and gives the torch fp32 answers (vectors within 2e-6).
  onnx-int8  that graph with its matrix products in int8 with a scale per block of 16 values, for the weights
             and for the activations (ONNX Runtime's MatMulNBits, 8 bits, accuracy level 4): the fused
             attention's own projections stay fp32. On held-out reviews it gives the reference's answers
             (sentiment 100 %, stars 99.3-99.7 %, macro-F1 equal, for a head with and without a LoRA
             adapter), where the per-tensor dynamic int8 tried before changed 2.7 % of the sentiments and 6 %
             of the stars: one scale per 16 values keeps an outlier activation from flattening the rest.
             Block 32 flipped 1 % of a LoRA head's sentiments; unfusing the attention to quantise its
             projections too flipped 2 % of the stars. 4 bits at block 32 hold the encoder's own Q4_0
             weights exactly and agree (stars 99.8 %) but ran no faster than fp32 onnx (27.7 vs 28.2
             texts/s, one interleaved run); 4 bits at block 16 flipped 3 % of the sentiments.

The ONNX files are made on first use from the converted encoder (+ adapter), into the model cache in a
directory named by the encoder version (which carries the adapter checksum) and the onnxruntime version,
written atomically, with a log line; they are never committed. Agreement with the torch reference is a
test (tests/models/test_fastpath.py, on held-out real reviews through the Analyzer).

"auto" on a CPU times torch (in the compute dtype), onnx and onnx-int8 once per machine on shipped demo
comments (a few seconds after the one-off export) and records the fastest one whose vectors agree with torch
fp32 (`<cache>/inference/choice-<machine>.json`; the machine key is the CPU model and flags, the thread
count, the compute dtype, the library versions and the candidate paths); later processes only read the
record. Where int8 products are slow (no VNNI) the measurement picks fp32 onnx. On a GPU, auto is
torch on CUDA, with no measurement.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

log = logging.getLogger("models.fastpath")

PATHS = ("torch", "onnx", "onnx-int8")
ENV = "SABOR_INFERENCE"
# A path qualifies in the per-machine measurement only if every sentence vector stays this close to the
# torch fp32 one (held-out reviews: onnx fp32 ≥ 0.99999, block int8 ≥ 0.9999; the per-tensor int8 that
# failed the answer agreement reached only 0.994).
MIN_COSINE = 0.999
AUTO_CANDIDATES = ("torch", "onnx", "onnx-int8")
INT8_BLOCK = 16
ONNX_FILES = {"onnx": "encoder-opt.onnx", "onnx-int8": f"encoder-opt-int8-b{INT8_BLOCK}.onnx"}


class InferenceConfigError(ValueError):
    """SABOR_INFERENCE names no known path, or a path that cannot run here."""


def requested() -> str:
    """The path asked for by `SABOR_INFERENCE` ("auto" when unset)."""
    raw = os.environ.get(ENV, "").strip().lower() or "auto"
    aliases = {"int8": "onnx-int8", "onnx-fp32": "onnx", "pytorch": "torch", "transformers": "torch"}
    raw = aliases.get(raw, raw)
    if raw != "auto" and raw not in PATHS:
        raise InferenceConfigError(
            f"{ENV}={raw!r} no es válido / is not valid: use auto, {', '.join(PATHS)}")
    return raw


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def cuda_dtype() -> str:
    """bf16 on GPUs that have it (Ampere and later), else fp16; `SABOR_ENCODER_DTYPE` overrides."""
    import torch

    env = os.environ.get("SABOR_ENCODER_DTYPE", "").strip().lower()
    if env in ("float32", "fp32"):
        return "float32"
    if env in ("float16", "fp16"):
        return "float16"
    if env in ("bfloat16", "bf16"):
        return "bfloat16"
    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def onnxruntime_version() -> str | None:
    try:
        return metadata.version("onnxruntime")
    except metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------------------------------
# Export: torch BertModel (adapter merged) → ONNX → fused → int8
# ---------------------------------------------------------------------------------------------------
def onnx_dir(encoder_version: str) -> Path:
    from models.runtime import model_cache_dir

    return model_cache_dir() / "onnx" / f"{encoder_version}-ort{onnxruntime_version()}"


def export_onnx(model, config, target: Path) -> None:
    """Write the fused fp32 ONNX file of `model` (an fp32 BertModel) into `target` (a fresh directory)."""
    import torch
    from onnxruntime.transformers import optimizer

    class _Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # Eager attention exports as plain MatMul/Softmax, the pattern the optimiser fuses into one Attention
    # node (the sdpa export is left unfused). The TorchScript exporter with dynamic axes gives a graph that
    # matches torch to 2e-6 at every batch size and length tried.
    before = model.config._attn_implementation
    model.set_attn_implementation("eager")
    raw = target / "encoder.onnx"
    try:
        ids = torch.ones((2, 16), dtype=torch.long)
        # The tracer warns about Python-level branches in transformers' masking code: they depend on
        # whether a mask is given (always, here), not on shapes; the exported graph was checked at other
        # batch sizes and lengths.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Hidden(model).eval(), (ids, torch.ones_like(ids)), str(raw),
                input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                              "last_hidden_state": {0: "batch", 1: "seq"}},
                opset_version=17, dynamo=False)
    finally:
        model.set_attn_implementation(before)
    opt = optimizer.optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                                   hidden_size=config.hidden_size, opt_level=1)
    fused = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    opt.save_model_to_file(str(target / ONNX_FILES["onnx"]))
    raw.unlink()
    (target / "SOURCE.json").write_text(json.dumps({
        "exported_from": "transformers BertModel, adapter merged, fp32, eager attention",
        "torch": metadata.version("torch"), "onnxruntime": onnxruntime_version(), "fused_operators": fused,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=2))


def quantize_int8(fp32: Path, out: Path) -> None:
    """Every MatMul outside the fused Attention nodes → MatMulNBits: 8-bit symmetric weights with one scale
    per INT8_BLOCK values along the input dimension, activations quantised per block the same way at run
    time and multiplied in int8 (accuracy_level 4). The embeddings and attention stay fp32."""
    import onnx
    from onnxruntime.quantization import QuantFormat
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    cfg = DefaultWeightOnlyQuantConfig(block_size=INT8_BLOCK, is_symmetric=True, accuracy_level=4, bits=8,
                                       quant_format=QuantFormat.QOperator, op_types_to_quantize=("MatMul",))
    q = MatMulNBitsQuantizer(onnx.load(str(fp32)), algo_config=cfg)
    q.process()
    tmp = out.with_suffix(".tmp")
    q.model.save_model_to_file(str(tmp), use_external_data_format=False)
    os.replace(tmp, out)


def ensure_onnx(encoder, kind: str) -> Path:
    """Path of the ONNX file of `kind` for this encoder (weights + adapter); export it if absent."""
    root = onnx_dir(encoder.version)
    target = root / ONNX_FILES[kind]
    if target.is_file():
        return target
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".export.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)        # the CLI and the dashboard starting together export once
        if target.is_file():
            return target
        t0 = time.perf_counter()
        if not (root / ONNX_FILES["onnx"]).is_file():
            log.info("exporting the encoder to ONNX (one-off, ~30 s) / exportando el codificador a ONNX: %s",
                     root, extra={"encoder": encoder.version, "target": str(root)})
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root.parent))
            try:
                export_onnx(encoder.reference_model(), encoder.config, tmp)
                os.chmod(tmp, 0o755)
                if root.exists():
                    shutil.rmtree(root)
                os.replace(tmp, root)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
            _prune(root.parent, keep=root)
        if kind == "onnx-int8":
            log.info("quantising the ONNX encoder to int8 / cuantizando a int8: %s", target)
            quantize_int8(root / ONNX_FILES["onnx"], target)
            for old in root.glob("*.onnx"):              # an earlier release's int8 form (~120 MB)
                if old.name not in ONNX_FILES.values():
                    old.unlink(missing_ok=True)
        log.info("ONNX encoder ready / codificador ONNX listo: %s", target,
                 extra={"encoder": encoder.version, "target": str(target),
                        "seconds": round(time.perf_counter() - t0, 1)})
    return target


KEEP_EXPORTS = 4   # each export is ~470 MB (~900 MB with int8); every trained adapter makes a new one


def _prune(parent: Path, keep: Path) -> None:
    """Remove all but the newest KEEP_EXPORTS export directories (a running session has its file loaded
    already; a later process whose export was pruned exports again)."""
    dirs = sorted((d for d in parent.iterdir() if d.is_dir() and not d.name.startswith(".") and d != keep),
                  key=lambda d: d.stat().st_mtime, reverse=True)
    for d in dirs[KEEP_EXPORTS - 1:]:
        log.info("removing an old ONNX export / se borra una exportación ONNX antigua: %s", d)
        shutil.rmtree(d, ignore_errors=True)


class OrtRunner:
    """One ONNX Runtime session: (input_ids, attention_mask) int64 arrays → last hidden state, float32."""

    def __init__(self, path: Path, threads: int):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = path
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


# ---------------------------------------------------------------------------------------------------
# auto: the fastest agreeing path, measured once per machine
# ---------------------------------------------------------------------------------------------------
def machine_key() -> str:
    """CPU model, flags and cores, the versions that decide the speed and the candidate paths: a new machine
    measures again."""
    model, flags = "", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = " ".join(sorted(line.split(":", 1)[1].split()))
    except OSError:
        model = platform.processor()
    from models.runtime import _threads, compute_dtype

    # The candidates and their files are part of the key: a new path gets measured on machines that
    # recorded a choice before it existed.
    raw = "|".join([model, flags, str(_threads()), platform.machine(), compute_dtype(),
                    metadata.version("torch"), str(onnxruntime_version()), *AUTO_CANDIDATES,
                    *ONNX_FILES.values()])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _record_dirs() -> list[Path]:
    """Where the per-machine choice is kept: the model cache, else (a read-only cache, as in the container,
    whose image may run on another CPU than the one it was built on) the temporary directory."""
    from models.runtime import model_cache_dir

    return [model_cache_dir() / "inference", Path(tempfile.gettempdir()) / "sabor-inference"]


def choice_file() -> Path:
    """The record for this machine: the existing one, else where a new one can be written."""
    name = f"choice-{machine_key()}.json"
    dirs = _record_dirs()
    for d in dirs:
        if (d / name).is_file():
            return d / name
    for d in dirs:
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(d, os.W_OK):
            return d / name
    return dirs[-1] / name


def recorded_choice() -> dict | None:
    p = choice_file()
    try:
        rec = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    return rec if rec.get("choice") in PATHS else None


def bench_texts(n: int = 96) -> list[str]:
    """Comments of every length from the shipped demo file (no network, no private data)."""
    import csv

    src = Path(__file__).resolve().parents[1] / "data" / "demo_feedback.csv"
    with open(src, encoding="utf-8-sig", newline="") as fh:
        rows = [r["Comentario del cliente"] for r in csv.DictReader(fh)]
    rows = sorted({r for r in rows if r})
    step = max(1, len(rows) // n)
    return rows[::step][:n]


def measure(encoder_factory, texts: list[str] | None = None, repeats: int = 2) -> dict:
    """Time every path on `texts` (best of `repeats`) and compare its vectors with the torch fp32 ones.

    `encoder_factory(inference, dtype)` → an Encoder. Returns the record `auto` keeps."""
    texts = texts or bench_texts()
    ref = encoder_factory("torch", "float32")
    ref_vecs = ref.encode(texts).vectors
    from models.runtime import compute_dtype

    results: dict[str, dict] = {}
    candidates = [("torch", compute_dtype())] + [(k, None) for k in AUTO_CANDIDATES if k != "torch"]
    for kind, dtype in candidates:
        try:
            enc = ref if (kind, dtype) == ("torch", "float32") else encoder_factory(kind, dtype)
            enc.encode(texts[:8])                                   # warm-up (first-shape allocations)
            best = float("inf")
            for _ in range(repeats):
                t0 = time.perf_counter()
                vecs = enc.encode(texts).vectors
                best = min(best, time.perf_counter() - t0)
            cos = (vecs * ref_vecs).sum(1)
            results[kind] = {"texts_per_s": round(len(texts) / best, 1), "dtype": enc.dtype,
                             "cosine_mean": round(float(cos.mean()), 5),
                             "cosine_min": round(float(cos.min()), 5),
                             "agrees": bool(cos.min() >= MIN_COSINE)}
        except Exception as e:  # noqa: BLE001 - a path that cannot run here is simply not chosen
            results[kind] = {"error": f"{type(e).__name__}: {e}"[:300], "agrees": False}
    ok = {k: r for k, r in results.items() if r.get("agrees")}
    choice = max(ok, key=lambda k: ok[k]["texts_per_s"]) if ok else "torch"
    return {"choice": choice, "results": results, "texts": len(texts), "machine": machine_key(),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def auto_choice(encoder_factory) -> str:
    """The recorded choice for this machine, measured (and recorded) on first use."""
    rec = recorded_choice()
    if rec is not None:
        return rec["choice"]
    p = choice_file()
    with open(p.parent / ".measure.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rec = recorded_choice()
        if rec is not None:
            return rec["choice"]
        log.info("measuring the inference paths on this machine (one-off) / midiendo las vías de inferencia")
        rec = measure(encoder_factory)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(rec, indent=2))
        os.replace(tmp, p)
        log.info("inference path chosen / vía de inferencia elegida: %s", rec["choice"],
                 extra={"choice": rec["choice"], "results": rec["results"], "record": str(p)})
    return rec["choice"]


def resolve(inference: str | None, dtype: str | None, encoder_factory) -> str:
    """The path an Encoder runs: the argument, else torch when a dtype is forced (training), else
    `SABOR_INFERENCE`, else auto (torch on a GPU; the recorded per-machine choice on a CPU)."""
    if inference:
        if inference not in PATHS:
            raise InferenceConfigError(f"inference {inference!r}: use one of {', '.join(PATHS)}")
        return inference
    if dtype:
        return "torch"
    want = requested()
    if want != "auto":
        return want
    if cuda_available():
        return "torch"
    if onnxruntime_version() is None:
        return "torch"
    return auto_choice(encoder_factory)


def describe() -> dict:
    """The path this process runs (the loaded encoder's), else what it would run, without loading a model
    (for `sabor health`, the Modelo page and the metrics). Raises InferenceConfigError on a bad
    SABOR_INFERENCE."""
    from models.runtime import LOADED

    loaded = LOADED["encoder"]
    if loaded is not None:
        return {"path": loaded.inference, "device": loaded.device, "dtype": loaded.dtype, "source": "loaded"}
    want = requested()
    if want != "auto":
        return {"path": want, "source": ENV}
    # A health probe must stay cheap: torch is imported only if this process already has it.
    if ("torch" in sys.modules and cuda_available()) or Path("/dev/nvidiactl").exists():
        return {"path": "torch", "device": "cuda", "dtype": cuda_dtype(), "source": "auto (GPU)"}
    rec = recorded_choice()
    if rec is None:
        return {"path": None, "source": "auto (not measured yet / aún sin medir)"}
    return {"path": rec["choice"], "source": "auto (measured)",
            "texts_per_s": {k: v.get("texts_per_s") for k, v in rec["results"].items()}}


def label(info: dict) -> str:
    """One line for people: "onnx (cpu, float32) — auto (measured)"."""
    if not info.get("path"):
        return f"auto — {info.get('source')}"
    detail = ", ".join(str(info[k]) for k in ("device", "dtype") if info.get(k))
    return f"{info['path']}{f' ({detail})' if detail else ''} — {info.get('source')}"
