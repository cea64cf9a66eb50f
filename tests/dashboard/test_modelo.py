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


def test_model_card_shows_version_metrics_and_confusion_matrix(db_path):
    from models.sentiment import active_head

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Modelo"
    assert active_head().version in [m.value for m in at.metric]
    if _registered():
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        assert spec["data"][0]["type"] == "heatmap"
        assert spec["data"][0]["x"] == ["negativo", "neutro", "positivo"]
        table = at.dataframe[0].value
        assert {"macro-F1", "Estrellas ±1"} <= set(table.columns)
        assert set(table["Idioma"]) >= {"Español"}


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
