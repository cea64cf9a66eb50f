"""What keeps the pages fast at 1M comments (bench/queries.py) must give the same answers as the plain SQL
over feedback_enriched: the overview rollup, the page-first drill-downs and the single-version fast path of
active_predictions."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.filters import Filters, where
from analysis.insight import overview, trends
from analysis.store import Store
from analysis.store.schema import ENRICHED_FOR_IDS

FILTERS = [Filters(), Filters(regions=("Lima", "Cusco")), Filters(products=("Chifles de plátano",)),
           Filters(date_from=dt.date(2024, 3, 10), date_to=dt.date(2025, 2, 20), channels=("Bodega",))]


@pytest.fixture
def demo(demo_truth_copy):
    s = Store.open(demo_truth_copy)
    yield s
    s.close()


def _plain_kpis(store, f):
    w, p = where(f)
    return store.cursor().execute(f"""
        SELECT count(*), avg(rating), count(rating), count(sentiment),
               avg(CASE WHEN sentiment = 'positive' THEN 1.0 WHEN sentiment IS NOT NULL THEN 0.0 END),
               avg(CASE WHEN sentiment = 'negative' THEN 1.0 WHEN sentiment IS NOT NULL THEN 0.0 END),
               count(DISTINCT product), count(DISTINCT region), min(date), max(date)
        FROM feedback_enriched WHERE {w}""", p).fetchall()[0]


@pytest.mark.parametrize("k", range(len(FILTERS)))
def test_overview_from_the_rollup_equals_the_plain_aggregation(demo, k):
    f = FILTERS[k]
    got = list(overview.kpis(demo, f).values())
    want = list(_plain_kpis(demo, f))
    assert got[0] > 100
    assert [pytest.approx(v, rel=1e-9) if isinstance(v, float) else v for v in want] == got
    w, p = where(f)
    plain = demo.query(f"""
        SELECT month, count(*) AS comments, round(avg(rating), 3) AS avg_rating, count(rating) AS rated,
               avg(CASE WHEN sentiment = 'negative' THEN 1.0 WHEN sentiment IS NOT NULL THEN 0.0 END)
                   AS neg_share
        FROM feedback_enriched WHERE month IS NOT NULL AND {w} GROUP BY month ORDER BY month""", p)
    mine = overview.monthly(demo, f)
    pd.testing.assert_frame_equal(mine[plain.columns].reset_index(drop=True), plain, check_dtype=False,
                                  rtol=1e-9)
    top = overview.by_dimension(demo, "region", f)
    plain_top = demo.query(f"SELECT coalesce(region, '(sin dato)') AS region, count(*) AS comments "
                           f"FROM feedback_enriched WHERE {w} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20", p)
    pd.testing.assert_frame_equal(top[["region", "comments"]], plain_top, check_dtype=False)


def test_the_rollup_follows_new_data(demo, tmp_path):
    before = overview.kpis(demo)["comments"]
    path = tmp_path / "mas.csv"
    pd.DataFrame({"Comentario": ["La chicha morada llegó tibia y sin sabor",
                                 "Muy rico el chifle, bien crocante"],
                  "Fecha": ["02/01/2026", "03/01/2026"],
                  "Región": ["Lima", "Tacna"]}).to_csv(path, index=False)
    from analysis.ingest import ingest_file

    ingest_file(demo, path)
    k = overview.kpis(demo)
    assert k["comments"] == before + 2 and str(k["date_max"]) == "2026-01-03"
    assert overview.monthly(demo)["month"].astype(str).iloc[-1] == "2026-01-01"
    assert "Tacna" in overview.by_dimension(demo, "region")["region"].tolist()


def test_page_enrichment_equals_the_view(demo):
    ids = "SELECT feedback_id FROM feedback ORDER BY feedback_id LIMIT 400"
    mine = demo.query(f"SELECT * FROM ({ENRICHED_FOR_IDS.format(ids=ids)}) ORDER BY feedback_id")
    view = demo.query(f"SELECT * FROM feedback_enriched WHERE feedback_id IN ({ids}) ORDER BY feedback_id")
    assert len(mine) == 400 and mine["attributes"].notna().sum() > 50
    pd.testing.assert_frame_equal(mine, view)


def test_drill_downs_list_the_same_comments_as_before(demo):
    rows = overview.verbatims(demo, Filters(regions=("Lima",)), month="2025-03-01", limit=30)
    plain = demo.query("""SELECT feedback_id FROM feedback_enriched WHERE region = 'Lima'
                          AND month = DATE '2025-03-01'
                          ORDER BY date DESC NULLS LAST, feedback_id LIMIT 30""")
    assert rows["feedback_id"].tolist() == plain["feedback_id"].tolist() and len(rows) == 30
    page, total = overview.comments_page(demo, Filters(products=("Chifles de plátano",)), limit=20, offset=40)
    assert total == demo.scalar("SELECT count(*) FROM feedback_enriched WHERE product = 'Chifles de plátano'")
    plain = demo.query("""SELECT * FROM feedback_enriched WHERE product = 'Chifles de plátano'
                          ORDER BY date DESC NULLS LAST, feedback_id LIMIT 20 OFFSET 40""")
    pd.testing.assert_frame_equal(page, plain[page.columns])
    vb = trends.verbatims(demo, "attribute", "dulce", "negative", month="2025-06-01")
    kc, kp = trends.key_filter("attribute", "dulce", "negative")
    plain = demo.query(f"""SELECT e.feedback_id FROM feedback_enriched e WHERE {kc}
                           AND CAST(date_trunc('month', e.date) AS DATE) = DATE '2025-06-01'
                           ORDER BY e.date DESC, e.feedback_id LIMIT 200""", kp)
    assert len(vb) > 0 and vb["feedback_id"].tolist() == plain["feedback_id"].tolist()
    neg = trends.verbatims(demo, "product", "Chifles de plátano", metric="negative_share")
    assert len(neg) > 0 and set(neg["sentiment"]) == {"negative"}


def _add_newer_version(demo) -> None:
    """A newer model version ('z-newer', all neutral) for the first 50 comments."""
    newer = demo.query("SELECT * FROM predictions ORDER BY feedback_id LIMIT 50")
    newer["model_version"] = "z-newer"
    newer["created_at"] = pd.Timestamp("2030-01-01")
    newer["sentiment"] = "neutral"
    with demo.transaction() as cur:
        Store.append(cur, "predictions", newer)


def test_active_predictions_keeps_the_newest_version_when_there_are_several(demo):
    n = demo.scalar("SELECT count(*) FROM active_predictions")
    assert n == demo.scalar("SELECT count(*) FROM predictions")      # one version: every row
    _add_newer_version(demo)
    assert demo.scalar("SELECT count(*) FROM active_predictions") == n
    got = demo.query("SELECT model_version, sentiment FROM active_predictions WHERE feedback_id IN "
                     "(SELECT feedback_id FROM predictions WHERE model_version = 'z-newer')")
    assert len(got) == 50 and set(got["model_version"]) == {"z-newer"}
    assert set(got["sentiment"]) == {"neutral"}


def _plain_share(store, unit: str, base: str, region: str) -> pd.DataFrame:
    """k comments with the unit among n comments of the base, per month, in one region: the trend engine's
    share counted straight from the live views."""
    return store.query(f"""
        SELECT CAST(date_trunc('month', f.date) AS DATE) AS period,
               count(*) FILTER (WHERE f.feedback_id IN ({unit})) AS k, count(*) AS n
        FROM feedback f WHERE f.date IS NOT NULL AND f.region = ? AND f.feedback_id IN ({base})
        GROUP BY 1 ORDER BY 1""", [region])


def _engine_share(store, by: str, key: str, polarity: str, region: str) -> pd.DataFrame:
    c = trends.series_counts(store, by, Filters(regions=(region,)), "month", ("all",))
    c = c[(c["key"] == key) & (c["polarity"] == polarity) & (c["metric"] == "share")]
    return c[["period", "k", "n"]].sort_values("period").reset_index(drop=True)


def test_trend_counts_from_the_written_down_units_equal_the_plain_count(demo):
    got = _engine_share(demo, "attribute", "dulce", "negative", "Lima")
    want = _plain_share(demo, "SELECT feedback_id FROM active_taste_mentions WHERE attribute = 'dulce' "
                        "AND polarity = 'negative'", "SELECT feedback_id FROM active_predictions", "Lima")
    assert got["k"].sum() > 10
    pd.testing.assert_frame_equal(got, want.assign(period=pd.to_datetime(want["period"])),
                                  check_dtype=False)


def test_food_trend_counts_equal_the_plain_count(demo):
    from tests.fixtures_foods import add_foods, demo_food_frame
    from tests.fixtures_truth import FIXTURE_MODEL

    add_foods(demo, demo_food_frame(), FIXTURE_MODEL)
    entry = demo.scalar("SELECT entry FROM active_food_mentions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    got = _engine_share(demo, "mention", entry, "all", "Lima")
    want = _plain_share(demo, f"SELECT feedback_id FROM active_food_mentions WHERE entry = '{entry}'",
                        "SELECT feedback_id FROM active_food_scans", "Lima")
    assert got["k"].sum() > 10
    pd.testing.assert_frame_equal(got, want.assign(period=pd.to_datetime(want["period"])),
                                  check_dtype=False)


def test_the_written_down_copies_equal_the_views(demo):
    from analysis.store import rollups
    from tests.fixtures_foods import add_foods, demo_food_frame
    from tests.fixtures_truth import FIXTURE_MODEL

    add_foods(demo, demo_food_frame(), FIXTURE_MODEL)
    copy = rollups.enriched_table(demo)
    # a migration fixes the copy's columns: a column added to the view needs one too
    assert demo.query(f"DESCRIBE {copy}")[["column_name", "column_type"]].equals(
        demo.query("DESCRIBE feedback_enriched")[["column_name", "column_type"]])
    pd.testing.assert_frame_equal(demo.query(f"SELECT * FROM {copy} ORDER BY feedback_id"),
                                  demo.query("SELECT * FROM feedback_enriched ORDER BY feedback_id"))
    for view in ("mentions_enriched", "foods_enriched"):
        mine = demo.query(f"SELECT * FROM cached_{view} ORDER BY ALL")
        assert len(mine) > 100
        pd.testing.assert_frame_equal(mine, demo.query(f"SELECT * FROM {view} ORDER BY ALL"))


def test_the_copies_follow_the_data_and_forget_deleted_comments(demo):
    from analysis.store import delete_upload, rollups

    copy = rollups.enriched_table(demo)
    _add_newer_version(demo)
    got = demo.query(f"SELECT model_version, sentiment, attributes FROM {rollups.enriched_table(demo)} WHERE "
                     "feedback_id IN (SELECT feedback_id FROM predictions WHERE model_version = 'z-newer')")
    assert len(got) == 50 and set(got["model_version"]) == {"z-newer"}
    assert set(got["sentiment"]) == {"neutral"}
    assert got["attributes"].isna().all()          # the newer version wrote no taste mentions
    trends.series_counts(demo, "attribute")        # writes the trend units down
    upload = demo.scalar("SELECT upload_id FROM feedback GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    delete_upload(demo, upload)
    # the copy holds the comments' text: their rows go with them, before any rebuild
    for table in ("cached_feedback_enriched", "trend_units"):
        assert demo.scalar(f"SELECT count(*) FROM {table} WHERE feedback_id NOT IN "
                           "(SELECT feedback_id FROM feedback)") == 0
    n = demo.scalar("SELECT count(*) FROM feedback_enriched")
    assert demo.scalar(f"SELECT count(*) FROM {copy}") == n
