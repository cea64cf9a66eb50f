"""Sentiment (negative/neutral/positive) and star (1–5) heads on the e5 sentence vector, their registry, and
the Analyzer that runs encoder, heads and taste attributes in one pass.

A head is a few kB of numbers applied to the mean-pooled, L2-normalised vector of its encoder: the base
encoder, or the base encoder plus the head's own LoRA adapter (the shipped head). Trained heads carry
per-class decision offsets (the rare neutral class is under-predicted otherwise) and an ordinal star
head; with no registered head, `sentimentai-py`'s no-training "logistic 2.0" head is used. Heads live
in `registry_dir()/<version>/` (head.json, metadata.json, adapter.safetensors).
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from importlib import metadata as pkg_metadata
from pathlib import Path

import numpy as np

from models.taxonomy import POLARITIES

CLASSES = POLARITIES   # the order of every head's outputs
DEFAULT_REGISTRY = Path(__file__).resolve().parent / "registry"
ADAPTER_FILE = "adapter.safetensors"   # a fine-tuned head's encoder adapter, beside head.json
UNCERTAIN_BELOW = 0.5      # probability of the predicted class under this counts as an uncertain prediction
BAND = np.array(["negative", "negative", "neutral", "positive", "positive"], dtype=object)   # stars 1..5


def stars_band(stars) -> np.ndarray:
    """The class of a star rating: 1–2 negative, 3 neutral, 4–5 positive."""
    return BAND[np.clip(np.asarray(stars, dtype=int), 1, 5) - 1]


def class_confidence(probs: np.ndarray, sentiment) -> np.ndarray:
    """Probability of the class each row was given (what "uncertain" is measured on)."""
    idx = np.array([CLASSES.index(str(c)) for c in sentiment], dtype=int)
    return np.asarray(probs)[np.arange(len(idx)), idx]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Prediction:
    sentiment: np.ndarray          # (n,) str
    score: np.ndarray              # (n,) p_pos - p_neg in [-1, 1]
    stars: np.ndarray              # (n,) int 1..5
    probs: np.ndarray              # (n, 3) [neg, neu, pos]

    @property
    def confidence(self) -> np.ndarray:
        """Probability of the predicted class (with ordinal heads not always the largest of the three)."""
        return class_confidence(self.probs, self.sentiment)


@dataclass
class SentimentHead:
    version: str
    W: np.ndarray                                  # (3, d) logits = X @ W.T + b
    b: np.ndarray                                  # (3,)
    T: float = 1.0                                 # temperature
    class_bias: np.ndarray = field(default_factory=lambda: np.zeros(3))   # decision offsets only
    stars_W: np.ndarray | None = None              # (5, d)
    stars_b: np.ndarray | None = None              # (5,)
    star_cuts: np.ndarray | None = None            # (4,) cut points on the expected star value
    meta: dict = field(default_factory=dict)
    adapter: Path | None = None                    # LoRA adapter of the encoder this head reads (finetune.py)
    mix: float = 0.0                               # weight of the star head's 3-class view in probs()
    # Ordinal decision: stars from the expected value of the star head and `star_cuts`, the sentiment is the
    # band of those stars (1–2 negative, 3 neutral, 4–5 positive) and the three probabilities are the star
    # probabilities summed by band, so a comment given 2 stars is never "positive".
    ordinal: bool = False

    def star_probs(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return _softmax(X @ self.stars_W.T + self.stars_b)

    def probs(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if self.ordinal:
            p5 = self.star_probs(X)
            return np.stack([p5[:, :2].sum(1), p5[:, 2], p5[:, 3:].sum(1)], 1)
        p = _softmax((X @ self.W.T + self.b) / self.T)
        if self.mix and self.stars_W is not None:
            # The star head sees five ordered grades; summed into 1–2 / 3 / 4–5 it separates the neutral
            # class better than the 3-class head alone (weight chosen on development rows, models/heads.py).
            p5 = _softmax(X @ self.stars_W.T + self.stars_b)
            p = (1 - self.mix) * p + self.mix * np.stack([p5[:, :2].sum(1), p5[:, 2], p5[:, 3:].sum(1)], 1)
        return p

    def stars(self, X: np.ndarray, probs: np.ndarray | None = None) -> np.ndarray:
        if self.stars_W is None:
            # No star head: the polarity score mapped linearly onto 1..5 (−1 → 1, 0 → 3, +1 → 5).
            p = self.probs(X) if probs is None else probs
            return np.clip(np.rint(3 + 2 * (p[:, 2] - p[:, 0])), 1, 5).astype(int)
        ev = self.expected_stars(X)
        cuts = self.star_cuts if self.star_cuts is not None else np.array([1.5, 2.5, 3.5, 4.5])
        return (1 + np.searchsorted(cuts, ev, side="right")).astype(int)

    def expected_stars(self, X: np.ndarray) -> np.ndarray:
        return self.star_probs(X) @ np.arange(1, 6)

    def predict(self, X: np.ndarray) -> Prediction:
        if self.ordinal:
            p5 = self.star_probs(X)
            cuts = self.star_cuts if self.star_cuts is not None else np.array([1.5, 2.5, 3.5, 4.5])
            stars = (1 + np.searchsorted(cuts, p5 @ np.arange(1, 6), side="right")).astype(int)
            p = np.stack([p5[:, :2].sum(1), p5[:, 2], p5[:, 3:].sum(1)], 1)
            return Prediction(sentiment=stars_band(stars), score=p[:, 2] - p[:, 0], stars=stars, probs=p)
        p = self.probs(X)
        k = np.argmax(np.log(p + 1e-12) + self.class_bias, axis=1)
        return Prediction(sentiment=np.array(CLASSES, dtype=object)[k], score=p[:, 2] - p[:, 0],
                          stars=self.stars(X, p), probs=p)

    # -- persistence --------------------------------------------------------------------------
    def to_json(self) -> dict:
        r = lambda a: None if a is None else np.round(np.asarray(a, dtype=np.float64), 6).tolist()
        return {"version": self.version, "classes": list(CLASSES), "W": r(self.W), "b": r(self.b),
                "T": self.T, "class_bias": r(self.class_bias), "stars_W": r(self.stars_W),
                "stars_b": r(self.stars_b), "star_cuts": r(self.star_cuts), "mix": self.mix,
                "ordinal": self.ordinal}

    def save(self, directory: Path, metadata: dict) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / "head.json.tmp"
        tmp.write_text(json.dumps(self.to_json(), separators=(",", ":")))
        os.replace(tmp, directory / "head.json")
        (directory / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False))
        if self.adapter is not None and Path(self.adapter).resolve() != (directory / ADAPTER_FILE).resolve():
            shutil.copyfile(self.adapter, directory / ADAPTER_FILE)
            self.adapter = directory / ADAPTER_FILE
        return directory

    @classmethod
    def load(cls, directory: Path) -> SentimentHead:
        d = json.loads((directory / "head.json").read_text())
        a = lambda k: None if d.get(k) is None else np.asarray(d[k], dtype=np.float64)
        meta_path = directory / "metadata.json"
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        adapter = directory / ADAPTER_FILE
        return cls(version=d["version"], W=a("W"), b=a("b"), T=float(d.get("T", 1.0)),
                   class_bias=a("class_bias") if d.get("class_bias") else np.zeros(3),
                   stars_W=a("stars_W"), stars_b=a("stars_b"), star_cuts=a("star_cuts"), meta=meta,
                   adapter=adapter if adapter.is_file() else None, mix=float(d.get("mix") or 0.0),
                   ordinal=bool(d.get("ordinal", False)))


def baseline_version() -> str:
    return f"baseline-sentimentai-{pkg_metadata.version('sentimentai-py')}-logistic2.0"


def baseline_head() -> SentimentHead:
    """The no-training head shipped by sentimentai-py for e5-small embeddings."""
    from importlib.resources import files

    d = json.loads(files("sentimentai").joinpath("scoring", "logistic", "2.0", "e5-small.json")
                   .read_text(encoding="utf-8"))
    return SentimentHead(version=baseline_version(), W=np.asarray(d["coef"], float),
                         b=np.asarray(d["intercept"], float), T=float(d.get("T") or 1.0),
                         meta={"training_data": "sentimentai-py 2.0.0 bundled head (no training here)"})


def registry_dir() -> Path:
    """Where heads are registered and read: `SABOR_MODEL_REGISTRY`, else models/registry."""
    env = os.environ.get("SABOR_MODEL_REGISTRY")
    return Path(env).expanduser() if env else DEFAULT_REGISTRY


def registered_versions(registry: Path | None = None) -> list[str]:
    """Versions in the registry, oldest first (version names start with a sortable UTC timestamp)."""
    reg = registry or registry_dir()
    if not reg.is_dir():
        return []
    return sorted(p.name for p in reg.iterdir() if (p / "head.json").is_file())


def active_head(registry: Path | None = None) -> SentimentHead:
    """The newest registered head, else the no-training baseline."""
    reg = registry or registry_dir()
    versions = registered_versions(reg)
    return SentimentHead.load(reg / versions[-1]) if versions else baseline_head()


# ---------------------------------------------------------------------------------------------------
# One pass, every head: the analyzer the pipeline, the CLI and the Modelo page share
# ---------------------------------------------------------------------------------------------------
@dataclass
class TextAnalysis:
    sentiment: np.ndarray
    score: np.ndarray
    stars: np.ndarray
    probs: np.ndarray
    truncated: np.ndarray
    attributes: list            # per text: list of attribute dicts (models.taste.attribute_rows)
    foods: list                 # per text: list of food-mention dicts (models.mentions.food_rows)


class Analyzer:
    """Encoder + sentiment/stars head + taste attributes. Thread-safe (the encoder serialises passes)."""

    def __init__(self, head: SentimentHead | None = None, encoder=None, similarity: bool = False,
                 clause_mode: str = "span"):
        from models.encoder import get_encoder

        self.head = head or active_head()
        # A fine-tuned head reads vectors of its own adapted encoder; any other encoder gives wrong answers.
        self.encoder = encoder or get_encoder(self.head.adapter)
        if getattr(self.encoder, "adapter", None) != (Path(self.head.adapter) if self.head.adapter else None):
            raise ValueError(f"head {self.head.version} needs encoder adapter {self.head.adapter}, "
                             f"got {getattr(self.encoder, 'adapter', None)}")
        self.similarity = similarity
        # Clause vectors: "span" = pooled from the comment's own pass (free), "encode" = the clause alone
        # (a short extra pass), "blend" = both averaged. With the shipped head the three agree with 150 hand
        # labels (tests/data) within two labels (span 0.873), so the single pass, 30% faster than blend, is
        # the default.
        self.clause_mode = clause_mode
        self._protos = None

    @property
    def version(self) -> str:
        return self.head.version

    def _prototypes(self):
        from models import taste

        if self._protos is None:
            names, phrases = [], []
            for attr, ps in taste.PROTOTYPES.items():
                names += [attr] * len(ps)
                phrases += ps
            self._protos = (np.array(names), self.encoder.encode(phrases).vectors)
        return self._protos

    @property
    def lexicon(self):
        """The food lexicon in use (base file plus $SABOR_FOOD_LEXICON), reloaded when a file changes."""
        from models.mentions import default_lexicon

        return default_lexicon()

    def analyze(self, texts: list[str], batch_size: int = 64) -> TextAnalysis:
        from models import mentions as food
        from models import taste

        texts = ["" if t is None else str(t) for t in texts]
        clauses = [taste.split_clauses(t) for t in texts]
        lexicon = self.lexicon
        foods = [food.find_foods(t, c, lexicon) for t, c in zip(texts, clauses)]
        # a named food its clause judges is the ingredientes attribute (models/taste.py)
        mentions = [taste.find_mentions(t, c, f) for t, c, f in zip(texts, clauses, foods)]
        # Clause vectors are pooled from the comment's own forward pass (no second run for them) ...
        spans = [[c[i] for i in range(len(c))] if (self.similarity or ms or fs) and len(c) > 1 else []
                 for c, ms, fs in zip(clauses, mentions, foods)]
        enc = self.encoder.encode(texts, batch_size=batch_size, spans=spans)
        if self.clause_mode in ("encode", "blend"):
            # ... and, for "blend"/"encode", the clauses that carry a mention (in comments of several clauses)
            # are also encoded alone: one extra batched pass over short texts.
            flat = sorted({(i, m.clause) for i, ms in enumerate(mentions) if spans[i] for m in ms})
            cv = self.encoder.encode([texts[i][spans[i][k][0]:spans[i][k][1]] for i, k in flat],
                                     batch_size=batch_size).vectors
            for (i, k), v in zip(flat, cv):
                if self.clause_mode == "blend":    # context-pooled and stand-alone vectors, averaged
                    v = v + enc.spans[i][k]
                    v = v / np.linalg.norm(v)
                enc.spans[i][k] = v
        pred = self.head.predict(enc.vectors)
        attrs, food_rows = [], []
        for i, t in enumerate(texts):
            cvecs = (np.stack(enc.spans[i]) if enc.spans[i]
                     else enc.vectors[i:i + 1].repeat(max(1, len(clauses[i])), 0))
            ms = mentions[i]
            if self.similarity and clauses[i]:
                ms = ms + self._similar(t, clauses[i], cvecs, {(m.attribute) for m in ms})
            cprobs = self.head.probs(cvecs) if ms or foods[i] else None
            attrs.append(taste.attribute_rows(t, clauses[i], ms, cprobs) if ms else [])
            food_rows.append(food.food_rows(t, clauses[i], foods[i], cprobs) if foods[i] else [])
        return TextAnalysis(pred.sentiment, pred.score, pred.stars, pred.probs, enc.truncated, attrs,
                            food_rows)

    SIM_THRESHOLD = 0.90

    def _similar(self, text, clauses, cvecs, already: set) -> list:
        from models.taste import Mention

        names, P = self._prototypes()
        sims = cvecs @ P.T
        out = []
        for ci in range(len(clauses)):
            j = int(np.argmax(sims[ci]))
            attr = str(names[j])
            if sims[ci, j] >= self.SIM_THRESHOLD and attr not in already:
                a, b = clauses[ci]
                out.append(Mention(attr, ci, a, b, text[a:b], None))
                already.add(attr)
        return out


def prepare_fast_path() -> dict:
    """Build time (Dockerfile): export the active head's encoder (adapter merged) to ONNX and its int8 form
    now, so a container with a read-only model cache starts on the fast path with nothing to write but the
    small choice record.
    """
    from models import fastpath
    from models.encoder import Encoder

    head = active_head()
    enc = Encoder(adapter=head.adapter, inference="onnx")
    return {"head": head.version, "encoder": enc.version, "onnx": str(enc._runner.path),
            "onnx-int8": str(fastpath.ensure_onnx(enc, "onnx-int8"))}
