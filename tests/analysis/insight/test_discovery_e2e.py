"""Discovery end to end on real reviews nobody tuned to: plant a rising and a falling food family into real
comments (re-dating them, nothing else), then run the real pipeline — ingest, the BERT model, food
mentions, topics, terms, trends, findings, report — with no truth file, and find both shifts with their
direction and start month."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.ingest import ingest_file
from analysis.insight import discoveries, topics, trends
from analysis.insight.report import write_report
from analysis.months import month_name
from analysis.ops.scoring import analyze
from analysis.store import Store
from tests import plant as pl
from tests.conftest import need_shared

pytestmark = pytest.mark.slow

CASES = {
    # corpus: (loader, rising family, falling family, start month, comments)
    "tripadvisor": (pl.tripadvisor, "mariscos y pescados", "postres y dulces", "2024-09", 2400),
    "guiaoleo": (pl.guiaoleo, "pastas", "bebidas alcohólicas", "2024-07", 4000),
}


@pytest.fixture(scope="module", params=list(CASES))
def pipeline(request, tmp_path_factory):
    """(store, planted) after the whole pipeline ran on one planted corpus."""
    need_shared(pl.SHARED)
    load, rising, falling, start, n = CASES[request.param]
    planted = pl.plant(load(), rising, falling, start, n=n)
    folder = tmp_path_factory.mktemp(request.param)
    path = folder / f"{request.param}_reseñas.csv"
    planted.frame.to_csv(path, index=False)
    store = Store.open(folder / "sabor.duckdb")
    report = ingest_file(store, path)
    assert report.rows_loaded == len(planted.frame)
    scored = analyze(store)
    assert scored["pending"] == 0 and scored["scored"] > 0
    state = topics.ensure_current(store)
    assert state["status"] == "fitted"
    yield store, planted, folder
    store.close()


def _shift(store, key: str) -> dict | None:
    rows = [r for r in trends.trends_json(store, "mention")["shifts"]
            if r["key"] == key and r["segment_type"] == "all" and r["polarity"] == "all"
            and r["metric"] == "share"]
    return rows[0] if rows else None


def test_both_planted_families_are_found_with_direction_and_start_month(pipeline):
    store, planted, _ = pipeline
    for family, direction in ((planted.rising, "up"), (planted.falling, "down")):
        s = _shift(store, family)
        assert s is not None, (family, trends.trends_json(store, "mention")["headlines"])
        assert s["direction"] == direction, (family, s)
        assert pl.months_apart(s["start_month"], planted.start_month) <= 1, (family, s["start_month"])
    # the rising family leads what the page and the CLI say first
    assert trends.trends_json(store, "mention")["headlines"][0].startswith(planted.rising + " ↑")


def test_findings_group_the_story_and_the_report_names_both(pipeline):
    store, planted, folder = pipeline
    found = discoveries.discover(store)
    lead = found[found["explained_by"].isna()]
    for family in (planted.rising, planted.falling):
        row = lead[lead["key"] == family]
        assert len(row) == 1, (family, lead[["key", "direction"]].to_dict("records"))
        assert len(row.iloc[0]["verbatims"]) == 3
    text = write_report(store, "md", folder / "informe.md").read_text(encoding="utf-8")
    for family, arrow in ((planted.rising, "↑"), (planted.falling, "↓")):
        start = lead[lead["key"] == family].iloc[0]["start_month"]
        assert f"{family} {arrow} desde {month_name(start)}" in text, family
    assert "Asegurar la oferta de " + planted.rising in text or "Corregir " + planted.rising in text


def test_topics_of_a_real_corpus_are_many_balanced_and_readable(pipeline):
    store, planted, _ = pipeline
    out = topics.topics_json(store)
    sizes = [t["size"] for t in out["topics"]]
    assert 15 <= len(sizes) <= 60 and max(sizes) <= 0.20 * sum(sizes)
    assert all(t["phrase"] and len(t["representative"]) == 3 for t in out["topics"])


def test_a_word_that_only_loses_ground_to_the_rising_family_is_not_its_own_trend(pipeline):
    """The most frequent word with no food in it keeps its share among the comments that do not mention
    the rising family: it must not be reported as declining on its own."""
    store, planted, _ = pipeline
    found = discoveries.discover(store)
    own = found[(found["explained_by"].isna()) & (found["level"] == "term") & (found["direction"] == "down")]
    top_words = store.query("SELECT label FROM term_labels WHERE term NOT LIKE '% %' "
                            "ORDER BY df DESC LIMIT 30")
    assert not set(own["key"]) & set(top_words["label"]), own[["key", "start_month", "q"]]


def test_shuffled_dates_show_no_family_shift(pipeline, tmp_path):
    """The same scored comments with their dates permuted, five times: a food family may come out as a
    trend by chance at most once (each test's false-discovery rate is 5 %), never systematically."""
    store, _, _ = pipeline
    hits = []
    for seed in range(1, 6):
        copy = tmp_path / f"shuffled{seed}.duckdb"
        shutil.copyfile(store.path, copy)
        s = Store.open(copy)
        try:
            dates = s.query("SELECT feedback_id, date FROM feedback ORDER BY feedback_id")
            perm = pd.DataFrame({"feedback_id": dates["feedback_id"],
                                 "d": np.random.default_rng(seed).permutation(dates["date"].to_numpy())})
            with s.transaction() as cur:
                cur.register("_perm", perm)
                cur.execute("UPDATE feedback SET date = _perm.d FROM _perm "
                            "WHERE feedback.feedback_id = _perm.feedback_id")
                cur.unregister("_perm")
            shifts = trends.trends_json(s, "mention")["shifts"]
            hits.append([r["key"] for r in shifts if r["segment_type"] == "all" and r["tier"] == 1])
        finally:
            s.close()
    assert sum(bool(h) for h in hits) <= 1, hits
