"""AppTest for the Recomendaciones page on the demo survey (mentions from the generator's truth)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.insight import cells, drivers, recommendations
from tests.conftest import ROOT
from tests.fixtures_truth import load_demo_with_truth

PAGE = str(ROOT / "dashboard" / "views" / "recomendaciones.py")


@pytest.fixture(autouse=True)
def no_llm(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def _texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [t.value for t in at.text])


def test_empty_database_invites_to_load_data(db_path):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any("Aún no hay comentarios" in i.value for i in at.info)


def test_cards_by_audience_segments_and_report_on_the_demo(store):
    load_demo_with_truth(store)
    recs = recommendations.recommendations(store)
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    labels = [t.label for t in at.tabs]
    for aud, name in (("producto", "Producto"), ("marketing", "Marketing"), ("riesgo", "Riesgos")):
        assert f"{name} ({int((recs['audience'] == aud).sum())})" in labels
    text = _texts(at).replace("\\", "")
    for r in recs.to_dict("records"):
        assert r["title"] in text and r["text"] in text
        assert all(v.replace("\\", "") in text for v in r["verbatims"])
        assert f"]({r['link']})" in text
    # executive summary (template, no LLM configured)
    assert "Se analizaron 13,442 comentarios" in text
    metrics = {m.label for m in at.metric}
    assert {"Antes", "Después", "Impacto", "Prioridad", "Confianza"} <= metrics
    # the drivers chart: one bar per attribute x polarity with enough mentions
    import json

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(spec["data"][0]["y"]) == len(drivers.drivers(*cells.load_cells(store)))

    # segment comparison: Cusco vs Lima shows the picante difference as significant
    at.selectbox(key="seg_a_region").set_value("Cusco").run()
    at.selectbox(key="seg_b_region").set_value("Lima").run()
    assert not at.exception
    df = at.dataframe[0].value
    row = df[(df["attribute"] == "picante") & (df["polarity"] == "positive")].iloc[0]
    assert bool(row["significant"]) and row["Cusco"] > row["Lima"]

    # report: choose PDF, prepare, a download button appears
    at.radio(key="report_fmt").set_value("pdf").run()
    at.button(key="report_prepare").click().run()
    assert not at.exception
    assert at.get("download_button"), "no download button after preparing the report"


def test_no_trend_no_recommendation_message(store, tmp_path):
    load_demo_with_truth(store, shuffle_dates=True, tmp_dir=tmp_path)
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    assert any("Sin cambios significativos" in i.value for i in at.info)
    assert not at.tabs


def test_english(store):
    load_demo_with_truth(store)
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Recommendations"
    assert any(t.label.startswith("Product (") for t in at.tabs)
