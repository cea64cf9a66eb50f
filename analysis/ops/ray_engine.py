"""`sabor analyze --engine ray`: the scoring of `analysis.ops.scoring.analyze`, spread over a Ray cluster.

DuckDB stays the store and the driver its only writer. The driver copies cached predictions (identical
texts already scored), reads the pending comments (one row per distinct text, shortest first, as the local
engine does), hands them to Ray Data `map_batches` over an actor pool (each actor loads the analyzer once),
and writes the results back in one transaction per chunk of `chunk_size` comments. A stopped or killed run
keeps every committed chunk; the next run reads only what is still pending, so nothing is scored twice.

Without `address` a local Ray is started for the command (bound to 127.0.0.1, no dashboard, no usage
stats) and shut down at the end; with `address` ("ray://host:10001", "host:6379" or "auto") the command
joins an existing cluster, whose workers must run the same image (same code, same model registry).
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis import store as store_mod
from analysis.ops import metrics
from analysis.ops.scoring import Progress, _food_frames, _frames, _observe, active_model_version
from analysis.store import discovery

# Ray batches are sized by a token budget: ~4 characters per token (Spanish and English reviews with e5's
# tokenizer), so short comments travel in large batches and long ones in small.
DEFAULT_BATCH_TOKENS = 16_384
CHARS_PER_TOKEN = 4
# Comments written back per transaction (each is a resume point).
DEFAULT_CHUNK = 2_048
# Environment the workers need: offline model loading, the same registry and lexicon as the driver.
_FORWARD_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "SABOR_MODEL_REGISTRY", "SABOR_FOOD_LEXICON",
                "SABOR_ENCODER_DTYPE", "SABOR_MODEL_CACHE", "XDG_CACHE_HOME", "HOME")


class RayEngineError(RuntimeError):
    """Ray is missing, the cluster cannot be reached, or its workers score with another model."""


SLICE = 64   # texts per analyzer call: the local engine's batch, so every text is scored in the same company


def slices_per_batch(texts: pd.Series, batch_tokens: int = DEFAULT_BATCH_TOKENS) -> int:
    """Ray batch size, in slices of SLICE texts, from a token budget: the budget over the padded tokens of a
    typical slice (the 90th percentile of lengths, since slices are cut from length-sorted rows), 1 to 16."""
    if texts.empty:
        return 1
    tokens = float(np.percentile(texts.str.len().to_numpy(), 90)) / CHARS_PER_TOKEN + 4
    return int(min(16, max(1, batch_tokens // (tokens * SLICE))))


def to_slices(todo: pd.DataFrame) -> pd.DataFrame:
    """Pending rows (already length-sorted) as one row per slice of SLICE: (slice, feedback_ids, texts)."""
    k = np.arange(len(todo)) // SLICE
    g = todo.assign(slice=k).groupby("slice", sort=True)
    return pd.DataFrame({"slice": g.size().index.to_numpy(),
                         "feedback_ids": g["feedback_id"].agg(list).to_numpy(),
                         "texts": g["text"].agg(list).to_numpy()})


class _Scorer:
    """One Ray actor: loads the analyzer once, then scores batches of slices."""

    # (model version, lexicon version) the driver scores with: set on a subclass per run (`_bound`), so the
    # actors take no constructor arguments through the object store.
    expected: tuple[str, str] = ("", "")

    def __init__(self):
        from analysis.ops.scoring import get_analyzer

        expected_version, lexicon_version = self.expected

        self.analyzer = get_analyzer()
        if self.analyzer.version != expected_version:
            raise RayEngineError(f"el worker usa el modelo {self.analyzer.version}, el driver "
                                 f"{expected_version}: la misma imagen y registro en todos los nodos / "
                                 f"worker model differs from the driver's")
        if self.analyzer.lexicon.version != lexicon_version:
            raise RayEngineError(f"el worker usa el léxico {self.analyzer.lexicon.version}, el driver "
                                 f"{lexicon_version} / worker food lexicon differs")

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        out = []
        for ids, texts in zip(batch["feedback_ids"], batch["texts"]):
            t0 = time.perf_counter()
            # The same call, on the same 64 texts, as the local engine's loop.
            r = self.analyzer.analyze([str(t) for t in texts], batch_size=SLICE)
            probs = np.asarray(r.probs, dtype=np.float64)
            out.append(pd.DataFrame({
                "feedback_id": [str(i) for i in ids],
                "sentiment": np.asarray(r.sentiment).astype(str), "score": np.asarray(r.score, np.float64),
                "stars": np.asarray(r.stars).astype(np.int64), "p_negative": probs[:, 0],
                "p_neutral": probs[:, 1], "p_positive": probs[:, 2],
                "truncated": np.asarray(r.truncated).astype(bool),
                "attributes": [json.dumps(a, ensure_ascii=False) for a in r.attributes],
                "foods": [json.dumps(f, ensure_ascii=False) for f in r.foods],
                # inference seconds of the slice, spread over its texts (summed back on the driver)
                "seconds": (time.perf_counter() - t0) / max(len(texts), 1),
            }))
        return pd.concat(out, ignore_index=True)


def _bound(version: str, lexicon_version: str) -> type:
    return type("SaborScorer", (_Scorer,), {"expected": (version, lexicon_version)})


class _Result:
    """The columns of a scored chunk shaped as models.sentiment.TextAnalysis, for the local writers."""

    def __init__(self, df: pd.DataFrame):
        self.sentiment = df["sentiment"].to_numpy(dtype=object)
        self.score = df["score"].to_numpy(dtype=np.float64)
        self.stars = df["stars"].to_numpy(dtype=np.int64)
        self.probs = df[["p_negative", "p_neutral", "p_positive"]].to_numpy(dtype=np.float64)
        self.truncated = df["truncated"].to_numpy(dtype=bool)
        self.attributes = [json.loads(a) for a in df["attributes"]]
        self.foods = [json.loads(f) for f in df["foods"]]


def _runtime_env() -> dict:
    env = {k: os.environ[k] for k in _FORWARD_ENV if k in os.environ}
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env["SABOR_TORCH_THREADS"] = "1"    # one CPU per actor: torch must not oversubscribe the node
    return {"env_vars": env}


def start_ray(address: str | None, workers: int):
    """Join `address`, or start a local Ray with `workers` CPUs on 127.0.0.1. Returns True when this call
    started (and so must stop) Ray."""
    try:
        import ray
    except ImportError:
        raise RayEngineError("Ray no está instalado (pip install 'ray[data]') / Ray is not installed") \
            from None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if ray.is_initialized():
        return False
    # Inside a RayJob the submitter sets RAY_ADDRESS: join that cluster rather than starting one.
    address = address or os.environ.get("RAY_ADDRESS") or None
    runtime_env = _runtime_env()
    if not address:
        # A local Ray's workers import this very checkout (not whatever an installed copy points at).
        root = str(Path(__file__).resolve().parents[2])
        runtime_env["env_vars"]["PYTHONPATH"] = os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    kw = dict(include_dashboard=False, log_to_driver=False, runtime_env=runtime_env,
              logging_level="ERROR", configure_logging=True)
    try:
        if address:
            ray.init(address=address, **kw)
        else:
            ray.init(num_cpus=workers, _node_ip_address="127.0.0.1",
                     object_store_memory=int(os.environ.get("SABOR_RAY_OBJECT_STORE_BYTES", 300 * 2**20)),
                     **kw)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise RayEngineError(f"no se pudo conectar con Ray en {address or 'local'}: {e}") from None
    return True


def analyze_ray(store, progress: Progress = None, address: str | None = None, workers: int | None = None,
                chunk_size: int = DEFAULT_CHUNK, batch_tokens: int = DEFAULT_BATCH_TOKENS,
                limit: int | None = None, stop: threading.Event | None = None) -> dict:
    """Score every comment without a prediction for the active model version on Ray. Returns what
    `scoring.analyze` returns plus "engine", "workers" and "texts_per_second"."""
    import ray
    from ray.data import ActorPoolStrategy, DataContext

    from models.mentions import default_lexicon

    t0 = time.perf_counter()
    version = active_model_version()
    lexicon_version = default_lexicon().version
    discovery.put_setting(store, "food_lexicon_version", lexicon_version)
    cached = store_mod.copy_cached_predictions(store, version, lexicon_version)
    todo = store_mod.pending_predictions(store, version, limit)
    total = len(todo)
    if progress:
        progress(0, total)
    local_workers = workers or max(1, min(2, os.cpu_count() or 1))
    started = start_ray(address, local_workers) if total else False
    scored = truncated = 0
    stopped = False
    n_workers = 0
    try:
        if total:
            n_workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
            metrics.SCORING_WORKERS.labels(engine="ray").set(n_workers)
            # Ray Data announces each execution at INFO on stderr: keep stderr for progress and errors.
            logging.getLogger("ray.data").setLevel(logging.ERROR)
            ctx = DataContext.get_current()
            ctx.enable_progress_bars = False
            ctx.execution_options.preserve_order = True
            slices = to_slices(todo[["feedback_id", "text"]])
            per_batch = slices_per_batch(todo["text"], batch_tokens)
            n_batches = -(-len(slices) // per_batch)
            # Blocks cut here (Arrow tables, lists of texts per slice), a whole number of batches each.
            n_blocks = max(1, min(n_workers * 4, n_batches))
            step = per_batch * -(-n_batches // n_blocks)
            ds = ray.data.from_arrow([pa.Table.from_pandas(slices.iloc[i:i + step], preserve_index=False)
                                      for i in range(0, len(slices), step)])
            pool = ActorPoolStrategy(size=max(1, min(n_workers, n_batches)))
            out = ds.map_batches(_bound(version, lexicon_version), batch_size=per_batch,
                                 batch_format="pandas", num_cpus=1, compute=pool)
            t_first = time.perf_counter()
            for chunk in out.iter_batches(batch_size=chunk_size, batch_format="pandas"):
                if stop is not None and stop.is_set():
                    stopped = True
                    break
                res = _Result(chunk)
                # Inference time of the chunk as the actors measured it, per text, summed.
                _observe(version, res, float(chunk["seconds"].sum()))
                batch = chunk[["feedback_id"]]
                preds, mentions = _frames(batch, res, version)
                scans, foods = _food_frames(batch["feedback_id"], res.foods, version, lexicon_version)
                store_mod.write_predictions(store, preds, mentions, scans, foods)   # one transaction
                scored += len(chunk)
                truncated += int(res.truncated.sum())
                rate = scored / max(time.perf_counter() - t_first, 1e-9)
                metrics.SCORING_THROUGHPUT.labels(engine="ray").set(rate)
                if progress:
                    progress(scored, total)
    finally:
        if started:
            ray.shutdown()
    cached += store_mod.copy_cached_predictions(store, version, lexicon_version)
    foods_rescanned = 0
    if not stopped and discovery.count_pending_food_scans(store, lexicon_version):
        # Comments scored before the food lexicon changed: a short pass on the driver, as the local engine.
        from analysis.ops.scoring import get_analyzer, scan_foods

        foods_rescanned = scan_foods(store, get_analyzer(), lexicon_version, 64, stop)
    if cached:
        metrics.PREDICTION_CACHE_HITS.labels(model=version).inc(cached)
    seconds = time.perf_counter() - t0
    return {"model_version": version, "scored": scored, "cached": cached, "truncated": truncated,
            "foods_rescanned": foods_rescanned, "lexicon_version": lexicon_version,
            "seconds": round(seconds, 3), "pending": store_mod.count_unscored(store, version),
            "stopped": bool(stop is not None and stop.is_set()), "engine": "ray", "workers": n_workers,
            "texts_per_second": round(scored / seconds, 2) if scored else 0.0}
