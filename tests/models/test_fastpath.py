"""The CPU fast path (ONNX Runtime) against the `transformers` reference, and how a path is chosen.

The agreement bar is the issue's: on held-out real reviews, through the Analyzer, sentiment agreement
≥ 99 %, stars agreement (±0) ≥ 98 %, macro-F1 within 0.01 of the reference; for a head with its own
LoRA adapter and for one without.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from models import fastpath
from models import sentiment as sent

# --------------------------------------------------------------------------------------------------
# Agreement on held-out reviews (real encoder, real data)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def held_out(real_dir):
    from models import corpora, loco

    # The kept-aside quarter of the TripAdvisor corpus: never trained on, never used to pick decisions.
    t = loco.test_sets(corpora.load_corpus("tripadvisor", real_dir=real_dir), "kept")["natural"]
    return t.sample(300, random_state=5).reset_index(drop=True)


def _heads():
    """The active head and the newest registered head of the other kind: with a LoRA adapter (merged into
    the exported weights) if the active one has none, else without one (what a newly trained logistic head
    looks like; the no-training baseline if none is registered)."""
    active = sent.active_head()
    reg = sent.registry_dir()
    other = [v for v in sent.registered_versions()
             if (reg / v / sent.ADAPTER_FILE).is_file() != (active.adapter is not None)]
    if other:
        return {"active": active, "other": sent.SentimentHead.load(reg / other[-1])}
    return {"active": active, "other": sent.baseline_head() if active.adapter is not None else None}


_REFERENCE: dict = {}


def _agreement(head, kind, texts, t):
    from models import loco
    from models.encoder import Encoder

    if head.version not in _REFERENCE:             # the torch answers, once per head for both fast paths
        ref = sent.Analyzer(head, encoder=Encoder(adapter=head.adapter, dtype="float32", inference="torch"))
        _REFERENCE[head.version] = ref.analyze(texts)
    r = _REFERENCE[head.version]
    fast_enc = Encoder(adapter=head.adapter, inference=kind)
    assert fast_enc.inference == kind and fast_enc._model is None   # no torch model held on this path
    f = sent.Analyzer(head, encoder=fast_enc).analyze(texts)
    s_ref, s_fast = loco.score(t, r.sentiment, r.stars), loco.score(t, f.sentiment, f.stars)
    pairs = [(a["attribute"], a["polarity"], b["attribute"], b["polarity"])
             for ra, fa in zip(r.attributes, f.attributes) for a, b in zip(ra, fa)]
    return {"sentiment": float(np.mean(r.sentiment == f.sentiment)),
            "stars": float(np.mean(r.stars == f.stars)),
            "f1_ref": s_ref["macro_f1"], "f1_fast": s_fast["macro_f1"],
            "attributes": [len(x) for x in r.attributes] == [len(x) for x in f.attributes],
            "polarity": float(np.mean([p[1] == p[3] for p in pairs])) if pairs else 1.0}


@pytest.mark.slow
@pytest.mark.parametrize("which", ["active", "other"])
@pytest.mark.parametrize("kind", ["onnx", "onnx-int8"])
def test_fast_paths_give_the_reference_answers_on_held_out_reviews(kind, which, held_out):
    head = _heads()[which]
    if head is None:
        pytest.skip("no registered head of the other kind: the 'active' case covers this one")
    n = 300 if which == "active" else 150          # the second head pays one more export: keep it shorter
    t = held_out.iloc[:n]
    got = _agreement(head, kind, t["text"].tolist(), t)
    assert got["sentiment"] >= 0.99, got
    assert got["stars"] >= 0.98, got
    assert abs(got["f1_fast"] - got["f1_ref"]) <= 0.01, got
    assert got["attributes"] and got["polarity"] >= 0.98, got
    # the export is cached by encoder + adapter checksum: a second encoder reuses the file
    from models.encoder import Encoder

    enc = Encoder(adapter=head.adapter, inference=kind)
    assert enc._runner.path == fastpath.onnx_dir(enc.version) / fastpath.ONNX_FILES[kind]
    assert ("+lora-" in enc.version) == (head.adapter is not None)


# --------------------------------------------------------------------------------------------------
# How the path is chosen (no model loaded)
# --------------------------------------------------------------------------------------------------


def test_inference_env_overrides_and_rejects_unknown_paths(monkeypatch):
    fail = lambda *a: pytest.fail("auto must not be measured when a path is asked for")  # noqa: E731
    monkeypatch.setenv("SABOR_INFERENCE", "onnx")
    assert fastpath.resolve(None, None, fail) == "onnx"
    monkeypatch.setenv("SABOR_INFERENCE", "INT8")
    assert fastpath.resolve(None, None, fail) == "onnx-int8"
    monkeypatch.setenv("SABOR_INFERENCE", "torch")
    assert fastpath.resolve(None, None, fail) == "torch"
    assert fastpath.resolve("onnx", None, fail) == "onnx"            # the argument wins over the variable
    monkeypatch.setenv("SABOR_INFERENCE", "onnx")
    assert fastpath.resolve(None, "float32", fail) == "torch"        # a forced dtype: torch (training)
    monkeypatch.setenv("SABOR_INFERENCE", "tensorrt")
    with pytest.raises(fastpath.InferenceConfigError, match="SABOR_INFERENCE='tensorrt'.*auto, torch, onnx"):
        fastpath.resolve(None, None, fail)


def test_gpu_means_torch_on_cuda_in_half_precision(monkeypatch):
    import torch

    from models import runtime


    monkeypatch.setitem(runtime.LOADED, "encoder", None)         # describe() reports a loaded encoder first
    monkeypatch.delenv("SABOR_INFERENCE", raising=False)
    monkeypatch.delenv("SABOR_ENCODER_DTYPE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    fail = lambda *a: pytest.fail("no CPU measurement on a GPU machine")  # noqa: E731
    assert fastpath.resolve(None, None, fail) == "torch"
    assert fastpath.cuda_dtype() == "float16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert fastpath.cuda_dtype() == "bfloat16"
    assert fastpath.describe()["device"] == "cuda"


class _FakeEncoder:
    """Vectors and speed of a path, to check the choice rule without loading the model."""

    def __init__(self, kind, seconds, noise):
        self.kind, self.seconds, self.noise = kind, seconds, noise
        self.dtype = "float32"

    def encode(self, texts):
        import time

        time.sleep(self.seconds * len(texts) / 96)
        rng = np.random.default_rng(len(texts))
        noise = np.random.default_rng(1).normal(size=(len(texts), 8))
        v = rng.normal(size=(len(texts), 8)) + self.noise * noise
        return SimpleNamespace(vectors=v / np.linalg.norm(v, axis=1, keepdims=True))


def test_auto_picks_the_fastest_path_that_agrees_and_records_it(monkeypatch, tmp_path):

    from models import runtime


    monkeypatch.setitem(runtime.LOADED, "encoder", None)
    monkeypatch.setenv("SABOR_MODEL_CACHE", str(tmp_path))
    monkeypatch.delenv("SABOR_INFERENCE", raising=False)
    monkeypatch.setattr(fastpath, "cuda_available", lambda: False)
    calls = []

    def factory(speeds):
        def make(kind, dtype):
            calls.append(kind)
            secs, noise = speeds[kind]
            return _FakeEncoder(kind, secs, noise)
        return make

    texts = [f"texto {i}" for i in range(96)]
    # onnx fastest and faithful → chosen
    rec = fastpath.measure(factory({"torch": (0.2, 0.0), "onnx": (0.05, 0.0), "onnx-int8": (0.1, 0.0)}),
                           texts, repeats=1)
    assert rec["choice"] == "onnx" and rec["results"]["onnx"]["agrees"]
    # int8 fastest and faithful → chosen; int8 faster but drifting → the fastest faithful one
    rec = fastpath.measure(factory({"torch": (0.2, 0.0), "onnx": (0.1, 0.0), "onnx-int8": (0.05, 0.0)}),
                           texts, repeats=1)
    assert rec["choice"] == "onnx-int8"
    rec = fastpath.measure(factory({"torch": (0.2, 0.0), "onnx": (0.1, 0.0), "onnx-int8": (0.05, 0.5)}),
                           texts, repeats=1)
    assert rec["choice"] == "onnx" and not rec["results"]["onnx-int8"]["agrees"]
    # a faster path whose vectors drift from the reference is never chosen
    rec = fastpath.measure(factory({"torch": (0.2, 0.0), "onnx": (0.05, 0.5), "onnx-int8": (0.05, 0.5)}),
                           texts, repeats=1)
    assert rec["choice"] == "torch" and not rec["results"]["onnx"]["agrees"]
    # a path that cannot run here is skipped with its reason
    def broken(kind, dtype):
        if kind.startswith("onnx"):
            raise RuntimeError("no onnxruntime here")
        return _FakeEncoder(kind, 0.1, 0.0)
    rec = fastpath.measure(broken, texts, repeats=1)
    assert rec["choice"] == "torch" and "no onnxruntime" in rec["results"]["onnx"]["error"]

    # auto: measured once, recorded per machine; the next process only reads the record
    calls.clear()
    assert fastpath.auto_choice(factory({"torch": (0.2, 0.0), "onnx": (0.05, 0.0),
                                         "onnx-int8": (0.1, 0.0)})) == "onnx"
    assert calls
    saved = json.loads(fastpath.choice_file().read_text())
    assert saved["choice"] == "onnx" and saved["machine"] == fastpath.machine_key()
    calls.clear()
    assert fastpath.resolve(None, None, factory({"torch": (0.0, 0.0), "onnx": (1.0, 0.0),
                                                 "onnx-int8": (1.0, 0.0)})) == "onnx"
    assert calls == []
    assert fastpath.describe()["path"] == "onnx"
    # another machine (here: another compute dtype) measures again
    monkeypatch.setenv("SABOR_ENCODER_DTYPE", "bfloat16")
    key_bf16 = fastpath.machine_key()
    monkeypatch.setenv("SABOR_ENCODER_DTYPE", "float32")
    assert fastpath.machine_key() != key_bf16


def test_old_onnx_exports_are_pruned_keeping_the_newest(tmp_path):
    import os

    dirs = []
    for i in range(7):
        d = tmp_path / f"e5small-x+lora-{i:012d}-ort1"
        d.mkdir()
        (d / "encoder-opt.onnx").write_bytes(b"x")
        os.utime(d, (1_000_000 + i, 1_000_000 + i))
        dirs.append(d)
    (tmp_path / ".tmp-half").mkdir()                  # another process's export in progress: left alone
    fastpath._prune(tmp_path, keep=dirs[0])          # the one just exported is kept even if oldest
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([".tmp-half", dirs[0].name] + [d.name for d in dirs[-(fastpath.KEEP_EXPORTS - 1):]])


def test_int8_file_is_made_from_the_fp32_export_and_replaces_an_older_int8_form(tmp_path, monkeypatch):
    root = tmp_path / "e5small-x-ort1"
    root.mkdir()
    (root / fastpath.ONNX_FILES["onnx"]).write_bytes(b"fp32")
    (root / "encoder-opt-int8.onnx").write_bytes(b"per-tensor int8 of an earlier release")
    monkeypatch.setattr(fastpath, "onnx_dir", lambda version: root)
    made = []

    def fake_quantize(src, out):
        made.append(src.name)
        out.write_bytes(b"int8")
    monkeypatch.setattr(fastpath, "quantize_int8", fake_quantize)
    got = fastpath.ensure_onnx(SimpleNamespace(version="x"), "onnx-int8")
    assert got == root / fastpath.ONNX_FILES["onnx-int8"] and got.read_bytes() == b"int8"
    assert made == [fastpath.ONNX_FILES["onnx"]]                 # from the fp32 export, not a new one
    assert sorted(p.name for p in root.glob("*.onnx")) == sorted(fastpath.ONNX_FILES.values())
    assert fastpath.ensure_onnx(SimpleNamespace(version="x"), "onnx-int8") == got and len(made) == 1
