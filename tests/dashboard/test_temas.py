"""AppTest for the Temas page: a stored topic run is shown (sizes, keywords, sentiment, time), and the
re-fit button makes a new run on the current filter while keeping the previous one."""
from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.filters import Filters
from analysis.store import save_topic_run, topic_runs
from tests.analysis.insight.trend_fixtures import demo_folder, demo_frames, load_fixture
from tests.conftest import ROOT

PAGE = str(ROOT / "dashboard" / "views" / "temas.py")


@pytest.fixture
def demo_store(store, tmp_path_factory):
    fb, mentions, sentiment = demo_frames(demo_folder(tmp_path_factory))
    keep = fb["feedback_id"].isin(fb["feedback_id"].iloc[::10])           # 1 comment in 10: fast
    load_fixture(store, fb[keep], mentions[mentions["feedback_id"].isin(fb.loc[keep, "feedback_id"])],
                 sentiment[keep.to_numpy()])
    return store


def _stored_run(store) -> pd.DataFrame:
    """A run whose topics are the products (a stand-in fit: the page, not the model, is under test)."""
    fb = store.query("SELECT feedback_id, product FROM feedback ORDER BY feedback_id")
    names = sorted(fb["product"].unique())
    topic = fb["product"].map({p: i for i, p in enumerate(names)}).to_numpy().copy()
    topic[::25] = -1
    topics = pd.DataFrame({"topic_id": range(len(names)), "label": [p.lower()[:25] for p in names],
                           "keywords": [", ".join(p.lower().split()[:4]) for p in names],
                           "size": [int((topic == i).sum()) for i in range(len(names))]})
    run = {"run_id": "r-test-1", "created_at": datetime(2026, 1, 1), "embedding_model": "usem3-test",
               "n_docs": len(fb), "n_topics": len(names), "outlier_share": float((topic == -1).mean()),
               "params": {"outlier_share_clustered": 0.3}, "filters": {}}
    save_topic_run(store, run, topics, pd.DataFrame({"feedback_id": fb["feedback_id"], "topic_id": topic,
                                                      "prob": np.linspace(1, 0.5, len(fb))}))
    return topics


def test_no_run_yet_offers_to_fit(demo_store):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("Aún no se han calculado temas" in i.value for i in at.info)
    assert at.button(key="refit_topics")


def test_stored_run_sizes_keywords_sentiment_and_time(demo_store):
    topics = _stored_run(demo_store)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    sizes = charts[0]["data"][0]
    assert sizes["type"] == "bar" and set(sizes["y"]) == set(topics["label"])
    table = at.dataframe[0].value
    n_by_label = dict(zip(topics["label"], topics["size"]))
    assert all(n_by_label[lab] == n for lab, n in zip(table["tema"], table["comentarios"]))
    assert table["% negativos"].between(0, 100).all()
    assert charts[1]["data"][0]["name"] == "positivos"                       # sentiment by topic
    assert len(charts[2]["data"]) == min(8, len(topics))                     # topics over time
    # keywords and representative comments of the picked topic
    box = at.selectbox(key="topic_pick_box")
    box.set_value(table["tema"].iloc[1]).run()
    assert any(table["palabras clave"].iloc[1] in m.value for m in at.markdown)
    rep = at.dataframe[1].value
    assert 1 <= len(rep) <= 5 and rep["similarity"].is_monotonic_decreasing
    assert len(at.get("download_button")) >= 3


def test_filters_apply_to_the_topic_table(demo_store):
    _stored_run(demo_store)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["filters"] = Filters(regions=("Cusco",))
    at.run()
    assert not at.exception
    n_cusco = demo_store.scalar("SELECT count(*) FROM feedback_topics ft JOIN feedback f USING (feedback_id) "
                                "WHERE f.region = 'Cusco' AND ft.topic_id >= 0")
    assert at.dataframe[0].value["comentarios"].sum() == n_cusco


@pytest.mark.slow
def test_refit_on_filter_makes_a_new_current_run_and_keeps_the_old(demo_store):
    _stored_run(demo_store)
    at = AppTest.from_file(PAGE, default_timeout=600)
    at.session_state["filters"] = Filters(regions=("Lima",))
    at.run()
    at.button(key="refit_topics").click().run()
    assert not at.exception, at.exception
    runs = topic_runs(demo_store)
    assert len(runs) == 2 and runs["is_current"].sum() == 1
    new = runs[runs["is_current"]].iloc[0]
    assert json.loads(new["filters"])["regions"] == ["Lima"]
    assert new["outlier_share"] < 0.15
    assert new["n_docs"] == demo_store.scalar("SELECT count(*) FROM feedback WHERE region = 'Lima'")
    assert "r-test-1" in runs["run_id"].tolist()
