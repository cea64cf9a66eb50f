"""Encoder vectors of training texts, cached outside the repo under the model cache: one .npz shard per run,
keyed by sha256(text), in a directory per encoder version."""
from __future__ import annotations

import hashlib
import os
import tempfile
import time

import numpy as np

from models.encoder import encoder_version, get_encoder, model_cache_dir


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def embed_cached(texts: list[str], encoder=None, batch_size: int = 64, progress=None) -> np.ndarray:
    cdir = model_cache_dir() / "train-embeddings" / (encoder.version if encoder else encoder_version())
    cdir.mkdir(parents=True, exist_ok=True)
    known: dict[str, np.ndarray] = {}
    for shard in sorted(cdir.glob("*.npz")):
        with np.load(shard) as z:
            known.update(zip(z["keys"].tolist(), z["vectors"]))
    keys = [text_key(t) for t in texts]
    missing = list({k: t for k, t in zip(keys, texts) if k not in known}.items())   # input order kept
    chunk = 512   # write a shard every chunk so an interrupted run keeps its work
    enc = (encoder or get_encoder()) if missing else None   # loading the model costs seconds: only if needed
    for s in range(0, len(missing), chunk):
        part = missing[s:s + chunk]
        vecs = enc.encode([t for _, t in part], batch_size=batch_size).vectors
        fd, tmp = tempfile.mkstemp(suffix=".npz", dir=cdir)
        os.close(fd)
        np.savez(tmp, keys=np.array([k for k, _ in part]), vectors=vecs)
        os.replace(tmp, cdir / f"{time.time_ns()}.npz")
        known.update(zip([k for k, _ in part], vecs))
        if progress:
            progress(min(s + chunk, len(missing)), len(missing))
    return np.stack([known[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def cached_mask(texts: list[str]) -> np.ndarray:
    """Which texts already have a cached embedding (lets an evaluation cap its English sample)."""
    cdir = model_cache_dir() / "train-embeddings" / encoder_version()
    keys: set[str] = set()
    for shard in cdir.glob("*.npz"):
        with np.load(shard) as z:
            keys.update(z["keys"].tolist())
    return np.array([text_key(t) in keys for t in texts], dtype=bool)
