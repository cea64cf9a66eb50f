"""Heads: contract of the outputs, registry resolution, training report and input errors."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models import sentiment as sent
from models import train


def test_baseline_head_outputs_follow_the_contract():
    head = sent.baseline_head()
    X = np.random.default_rng(0).normal(size=(20, 384))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    p = head.predict(X)
    assert set(p.sentiment) <= set(sent.CLASSES)
    assert np.allclose(p.probs.sum(1), 1) and np.allclose(p.score, p.probs[:, 2] - p.probs[:, 0])
    assert p.stars.dtype.kind == "i" and p.stars.min() >= 1 and p.stars.max() <= 5


def test_active_head_is_newest_registered_else_baseline(tmp_path, monkeypatch):
    monkeypatch.setenv("SABOR_MODEL_REGISTRY", str(tmp_path))
    assert sent.active_head().version == sent.baseline_version()
    base = sent.baseline_head()
    for v in ("20250101T000000Z-a", "20260101T000000Z-b"):
        sent.SentimentHead(version=v, W=base.W, b=base.b).save(tmp_path / v, {"version": v})
    assert sent.active_head().version == "20260101T000000Z-b"


def test_train_names_a_missing_column(tmp_path):
    f = tmp_path / "l.csv"
    pd.DataFrame({"texto": ["a"], "nota": [5]}).to_csv(f, index=False)
    with pytest.raises(ValueError, match="Columna 'estrellas'"):
        train.train(f, "texto", "estrellas", registry_dir=tmp_path)


@pytest.mark.slow
def test_train_on_real_reviews_is_seeded_and_registers_head_with_report(tmp_path, real_dir, encoder):
    src = pd.read_csv(real_dir / "tripadvisor_sevilla_japanese_es.csv", encoding="utf-8-sig")
    src = src.dropna(subset=["text"]).groupby("review_rating").head(60)    # 300 rows, all 5 ratings
    f = tmp_path / "labelled.csv"
    src[["text", "review_rating"]].to_csv(f, index=False)
    rep = train.train(f, "text", "review_rating", registry_dir=tmp_path / "reg", seed=3)
    again = train.train(f, "text", "review_rating", registry_dir=tmp_path / "reg2", seed=3, save=False)
    assert rep["test"] == again["test"]                                   # seeded: same split, same head
    meta = json.loads((tmp_path / "reg" / rep["version"] / "metadata.json").read_text())
    assert meta["metrics"]["test"]["macro_f1"] == rep["test"]["macro_f1"]
    assert meta["data"]["files"] == ["labelled.csv"]
    assert {"accuracy", "macro_f1", "stars_exact", "stars_within1", "confusion"} <= set(rep["test"])
    assert np.array(rep["test"]["confusion"]["matrix"]).sum() == rep["test_rows"]
    assert rep["test"]["stars_within1"] >= 0.7
    head = sent.SentimentHead.load(tmp_path / "reg" / rep["version"])
    assert (tmp_path / "reg" / rep["version"] / "head.json").stat().st_size < 400_000
    assert head.stars_W is not None and head.star_cuts is not None


@pytest.mark.slow
def test_training_registers_where_sabor_model_registry_points_and_active_head_reads_it(tmp_path, monkeypatch,
                                                                                      real_dir):
    monkeypatch.setenv("SABOR_MODEL_REGISTRY", str(tmp_path / "reg"))
    src = pd.read_csv(real_dir / "tripadvisor_sevilla_japanese_es.csv", encoding="utf-8-sig")
    src = src.dropna(subset=["text"]).groupby("review_rating").head(20)    # 100 rows, all 5 ratings
    f = tmp_path / "labelled.csv"
    src[["text", "review_rating"]].to_csv(f, index=False)
    shipped = sent.registered_versions(sent.DEFAULT_REGISTRY)
    rep = train.train(f, "text", "review_rating", seed=3)
    assert rep["saved_to"] == str(tmp_path / "reg" / rep["version"])
    assert sent.registered_versions() == [rep["version"]]
    assert sent.active_head().version == rep["version"]
    assert sent.registered_versions(sent.DEFAULT_REGISTRY) == shipped      # the shipped registry untouched
