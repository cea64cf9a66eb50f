"""The Modelo page: model card with metrics and confusion matrix, and the try-a-sentence box."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "modelo.py")


def _registered() -> bool:
    from models.sentiment import registered_versions

    return bool(registered_versions())


def _frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_model_card_shows_version_cross_domain_table_and_confusion_matrix(db_path):
    from models.sentiment import active_head

    head = active_head()
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Modelo"
    assert head.version in [m.value for m in at.metric]
    if not _registered():
        return
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["type"] == "heatmap"
    assert spec["data"][0]["x"] == ["negativo", "neutro", "positivo"]
    cd = head.meta["cross_domain"]
    table = _frame_with(at, "Corpus dejado fuera")        # the kept-aside quarter, scored once
    assert len(table) == len(cd["folds"]) + 2                 # every corpus, the mean and the worst
    assert table.iloc[-2, 0] == "Media" and table.iloc[-1, 0] == "Peor corpus"
    assert table["macro-F1 (balanceada)"].iloc[-2] == cd["summary_kept"]["balanced"]["mean"]["macro_f1"]
    assert table["Estrellas ±1 (balanceada)"].iloc[-1] == \
        cd["summary_kept"]["balanced"]["worst"]["stars_within1"]
    in_domain = _frame_with(at, "Corpus")
    assert len(in_domain) == len(head.meta["in_domain_kept"]["corpora"])


def test_model_card_shows_the_taste_figures_per_attribute(db_path):
    from models.sentiment import active_head

    te = (active_head().meta or {}).get("taste_eval")
    if not te:
        pytest.fail("the active head's card has no taste evaluation")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    table = _frame_with(at, "Atributo")
    assert set(table["Atributo"]) == set(te["by_attribute"]) | {"total (micro)"}
    micro = table[table["Atributo"] == "total (micro)"].iloc[0]
    assert (micro["Precisión"], micro["Cobertura"]) == (te["micro"]["precision"], te["micro"]["recall"])


def test_low_confidence_predictions_are_counted(store):
    from datetime import datetime

    import pandas as pd

    from analysis.store import write_predictions
    from models.sentiment import UNCERTAIN_BELOW, active_head

    version = active_head().version
    p = [(0.1, 0.2, 0.7), (0.3, 0.3, 0.4), (0.45, 0.35, 0.2), (0.2, 0.6, 0.2)]
    preds = pd.DataFrame({"feedback_id": ["a", "b", "c", "d"], "model_version": version,
                          "sentiment": ["positive", "positive", "negative", "neutral"],
                          "sentiment_score": 0.0, "stars_pred": [5, 4, 2, 3],
                          "p_negative": [x[0] for x in p], "p_neutral": [x[1] for x in p],
                          "p_positive": [x[2] for x in p], "truncated": False,
                          "created_at": datetime(2024, 1, 1)})
    write_predictions(store, preds, pd.DataFrame(columns=["feedback_id", "model_version", "attribute",
                                                          "polarity", "score", "evidence"]))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert UNCERTAIN_BELOW == 0.5
    values = {m.label: m.value for m in at.metric}
    assert values["Predicciones con baja confianza"] == "2 (50%)"          # b (0.4) and c (0.45)


def test_empty_text_asks_for_text(db_path):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.button(key="try_btn").click().run()
    assert "Escriba un texto" in at.warning[0].value


@pytest.mark.slow
def test_try_a_sentence_shows_sentiment_stars_and_highlighted_attributes(db_path):
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.text_area(key="try_text").input("el sabor está bravazo pero el empaque se rompe").run()
    at.button(key="try_btn").click().run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Sentimiento"] in {"negativo", "neutro", "positivo"}
    assert values["Estrellas"].endswith(")")
    html = " ".join(m.value for m in at.markdown)
    assert "<mark" in html and "empaque" in html and "sabor" in html
    attrs = at.dataframe[-1].value
    assert dict(zip(attrs["Atributo"], attrs["Polaridad"])) == {"sabor": "positivo", "empaque": "negativo"}


def test_model_card_says_which_inference_path_runs(db_path, monkeypatch):

    from models import runtime


    monkeypatch.setitem(runtime.LOADED, "encoder", None)   # no model loaded: the configured path is shown
    monkeypatch.setenv("SABOR_INFERENCE", "onnx")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    lines = [c.value for c in at.caption if "Inferencia en esta máquina" in c.value
             or "Inference on this machine" in c.value]
    assert len(lines) == 1 and "onnx" in lines[0], lines
