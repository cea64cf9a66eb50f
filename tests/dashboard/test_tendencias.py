"""AppTest for the Tendencias page on the demo data (mentions from the generator's truth)."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from analysis.insight import trends
from tests.analysis.insight.trend_fixtures import demo_folder, demo_frames, load_demo_market, load_fixture
from tests.conftest import ROOT

PAGE = str(ROOT / "dashboard" / "views" / "tendencias.py")


@pytest.fixture
def demo_store(store, tmp_path_factory):
    folder = demo_folder(tmp_path_factory)
    fb, mentions, sentiment = demo_frames(folder)
    load_fixture(store, fb, mentions, sentiment)
    load_demo_market(store, folder)
    return store


def test_headline_ranked_shifts_small_multiples_and_market(demo_store):
    at = AppTest.from_file(PAGE, default_timeout=90).run()
    assert not at.exception, at.exception
    # (a background job finished earlier in this process adds its own "Análisis listo" notice first)
    head = " ".join(s.value for s in at.success)
    assert "picante positivo ↑ en el sur desde marzo 2025" in head
    # emerging and declining tables, ranked, with significance badges
    tables = [t.value for t in at.dataframe]
    emerging = tables[0]
    assert (emerging["Dirección"] == "↑").all() and emerging["Significancia"].str.startswith("●").all()
    effects = emerging["Efecto (pp)"].abs().tolist()
    assert effects == sorted(effects, reverse=True)
    declining = tables[1]
    assert (declining["Dirección"] == "↓").all()
    assert declining["Serie"].str.contains("saludable").any()
    # small multiples: one trace per top shift, each a monthly series of the demo's 24 months
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = [d for d in spec["data"] if d.get("mode") == "lines+markers"]
    assert 2 <= len(lines) <= 6
    # market overlay: lag table with months behind each correlation, and caveats
    assert any("causalidad" in c.value for c in at.caption)
    lag_table = tables[-1]
    assert {"desfase (meses)", "meses", "r"} <= set(lag_table.columns)
    assert lag_table["meses"].max() >= 20
    assert len(at.get("download_button")) >= 4


def test_drill_down_lists_the_comments_behind_a_point(demo_store):
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.run()
    scan = trends.shift_scan(demo_store)
    row = scan[scan["significant"]].iloc[0].to_dict()   # the first small-multiple panel
    counts = trends.series_counts(demo_store, row["dimension"], segment_types=(row["segment_type"],))
    series = counts[(counts["key"] == row["key"]) & (counts["polarity"] == row["polarity"])
                    & (counts["metric"] == row["metric"]) & (counts["segment"] == row["segment"])]
    point = series.sort_values(["k", "period"], ascending=False).iloc[0]   # the month a user would click
    month = point["period"].strftime("%Y-%m-%d")
    at.session_state["tr_drill"] = (row, month)
    at.run()
    assert not at.exception
    assert any("Comentarios detrás de" in s.value for s in at.subheader)
    vb = (at.dataframe[-2].value if "desfase (meses)" in at.dataframe[-1].value.columns
          else at.dataframe[-1].value)
    assert len(vb) == point["k"] > 0
    assert vb["date"].astype(str).str.startswith(month[:7]).all()
    assert vb["text"].str.len().gt(0).all()


def test_other_dimensions_and_english(demo_store):
    at = AppTest.from_file(PAGE, default_timeout=90).run()
    at.radio(key="tr_by").set_value("region").run()
    assert not at.exception
    at.radio(key="tr_by").set_value("topic").run()
    assert not at.exception
    assert any("Temas" in i.value for i in at.info)      # no topic run yet: says where to make one
    at.session_state["lang"] = "en"
    at.radio(key="tr_by").set_value("attribute").run()
    assert not at.exception
    assert "spicy" not in at.success[0].value and "since March 2025" in at.success[0].value


def test_empty_database_invites_to_load(db_path):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("Aún no hay comentarios" in i.value for i in at.info)
