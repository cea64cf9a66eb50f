"""analysis.ops.scoring: every comment scored once per model version, files classified end to end."""
from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from analysis.ops import metrics
from analysis.store import Store

TEXTS = [
    "El ceviche estaba delicioso y el precio muy justo.",
    "La comida llegó fría y el empaque roto, una pena.",
    "Demasiado dulce para mi gusto, aunque la atención fue amable.",
    "Demasiado dulce para mi gusto, aunque la atención fue amable.",   # same text: scored once
    "Great taste, fair price, will buy again.",
    "Normal, nada especial.",
]


def _load(store: Store, texts: list[str]) -> None:
    df = pd.DataFrame({
        "feedback_id": [f"fb_{i}" for i in range(len(texts))],
        "text": texts,
        "text_hash": [hashlib.md5(t.lower().encode()).hexdigest() for t in texts],
        "dedup_key": [f"k{i}" for i in range(len(texts))],
    })
    with store.transaction() as cur:
        Store.append(cur, "feedback", df)


def _counter(c, **labels) -> float:
    return c.labels(**labels)._value.get()


@pytest.mark.slow
def test_analyze_scores_each_text_once_and_second_run_scores_nothing(store, analyzer):
    from analysis.ops import scoring

    _load(store, TEXTS)
    version = scoring.active_model_version()
    before = _counter(metrics.INFERENCE_TEXTS, model=version)
    seen = []
    first = scoring.analyze(store, progress=lambda d, n: seen.append((d, n)), batch_size=4)
    assert first["model_version"] == version
    assert first["scored"] == 5 and first["cached"] == 1 and first["pending"] == 0
    assert seen[0] == (0, 5) and seen[-1] == (5, 5) and len(seen) == 3     # after each batch of 4
    assert _counter(metrics.INFERENCE_TEXTS, model=version) - before == 5

    second = scoring.analyze(store)
    assert second["scored"] == 0 and second["cached"] == 0
    assert _counter(metrics.INFERENCE_TEXTS, model=version) - before == 5
    # /metrics says which encoder path did the work (one series, the running one)
    enc = scoring.get_analyzer().encoder
    series = [s for m in metrics.INFERENCE_PATH.collect() for s in m.samples]
    got = [(s.labels["path"], s.labels["device"], s.value) for s in series]
    assert got == [(enc.inference, enc.device, 1.0)]

    p = store.query("SELECT * FROM predictions ORDER BY feedback_id")
    assert len(p) == 6 and set(p["model_version"]) == {version}
    assert set(p["sentiment"]) <= {"negative", "neutral", "positive"}
    assert p["stars_pred"].between(1, 5).all() and p["sentiment_score"].between(-1, 1).all()
    assert ((p["p_positive"] - p["p_negative"]) - p["sentiment_score"]).abs().max() < 1e-6
    # the duplicate got an identical copy, mentions included
    dup = p.set_index("feedback_id").loc[["fb_2", "fb_3"], ["sentiment", "sentiment_score", "stars_pred"]]
    assert dup.iloc[0].tolist() == dup.iloc[1].tolist()
    m = store.query("SELECT feedback_id, attribute, polarity FROM taste_mentions ORDER BY 1, 2")
    assert ("fb_3", "dulce", "negative") in set(map(tuple, m.to_numpy()))
    assert ("fb_1", "empaque", "negative") in set(map(tuple, m.to_numpy()))


@pytest.mark.slow
def test_new_comments_only_are_scored_and_limit_leaves_the_rest_pending(store, analyzer):
    from analysis.ops import scoring

    _load(store, TEXTS[:2])
    assert scoring.analyze(store, limit=1)["pending"] == 1
    rest = scoring.analyze(store)
    assert rest["scored"] == 1 and rest["pending"] == 0


@pytest.mark.slow
def test_classify_file_adds_the_four_columns_to_a_real_file(tmp_path, real_dir, analyzer):
    from analysis.ops import scoring

    src = pd.read_csv(real_dir / "tripadvisor_sevilla_japanese_es.csv", encoding="utf-8-sig").head(40)
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.to_csv(inp, index=False)
    rep = scoring.classify_file(inp, "text", out)
    got = pd.read_csv(out, keep_default_na=False)
    assert rep["rows"] == 40 and len(got) == 40
    assert list(got.columns[-4:]) == ["sentiment", "sentiment_score", "stars_pred", "attributes"]
    filled = got[got["text"].str.strip() != ""]
    assert set(filled["sentiment"]) <= {"negative", "neutral", "positive"}
    assert filled["stars_pred"].astype(int).between(1, 5).all()
    assert filled["attributes"].str.fullmatch(r"(\w+:[+\-0](; \w+:[+\-0])*)?").all()
    # ratings agree with predictions far more often than not on this real sample
    rated = filled[filled["review_rating"].notna()]
    close = (rated["stars_pred"].astype(int) - rated["review_rating"].astype(int)).abs() <= 1
    assert close.mean() >= 0.7


def test_classify_file_names_a_missing_column(tmp_path):
    from analysis.ops import scoring

    inp = tmp_path / "in.csv"
    pd.DataFrame({"comentario": ["hola"]}).to_csv(inp, index=False)
    with pytest.raises(ValueError, match="texto"):
        scoring.classify_file(inp, "text", tmp_path / "o.csv")
