"""Shift detection on data whose truth is known.

The mentions come from the generator's truth (tests/analysis/trend_fixtures.py, model_version
'truth-fixture'), not from the BERT classifier: the detector is what is under test here.
"""
from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis.filters import Filters
from analysis.insight import trends, wording
from tests.analysis.insight.trend_fixtures import (
    demo_folder,
    demo_frames,
    load_fixture,
    matches_planted,
    planted_shifts,
    synthetic,
)


def _zone_regions(store) -> dict[str, set]:
    df = store.query(f"SELECT DISTINCT region, {trends.zone_sql('region')} AS zone FROM feedback")
    return df.dropna().groupby("zone")["region"].agg(set).to_dict()


def _month_diff(a: str, b: str) -> int:
    ya, ma = map(int, a.split("-")[:2])
    yb, mb = map(int, b.split("-")[:2])
    return (ya - yb) * 12 + ma - mb


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return demo_folder(tmp_path_factory)


def test_demo_every_planted_shift_found_with_direction_and_start(store, demo_dir):
    fb, mentions, sentiment = demo_frames(demo_dir)
    load_fixture(store, fb, mentions, sentiment)
    # what `sabor trends --format json` prints
    payload = trends.trends_json(store, by="attribute", today=date(2026, 6, 1))
    found = pd.DataFrame(payload["shifts"])
    assert len(found), "no significant shift at all on the demo data"
    assert (found["q"] < payload["alpha"]).all()
    zones = _zone_regions(store)
    report, missing = [], []
    for s in planted_shifts():
        hits = [r for r in payload["shifts"] if matches_planted(r, s, zones)]
        best = min(hits, key=lambda r: r["q"]) if hits else None
        ok = bool(best) and best["direction"] == s["direction"] and \
            abs(_month_diff(best["start_month"], s["start"])) <= 1
        report.append(f"{s['key']} {s['attribute']}/{s['polarity']} planted {s['direction']} "
                      f"from {s['start']}: "
                      + (f"found in {best['segment']} {best['direction']} from {best['start_month']} "
                         f"(q={best['q']:.1e})" if best else "not significant"))
        if not ok:
            missing.append(s["key"])
    assert not missing, "\n".join(report)


def test_demo_shuffled_dates_control_has_no_significant_shift(store, demo_dir):
    fb, mentions, sentiment = demo_frames(demo_dir, shuffle_dates=True)
    load_fixture(store, fb, mentions, sentiment)
    payload = trends.trends_json(store, by="attribute", today=date(2026, 6, 1))
    assert payload["tested"]["scan"] > 500          # the control really tested many series...
    assert payload["shifts"] == [], payload["headlines"]   # ...and none is a shift
    assert payload["recent"] == []
    for by in ("product", "region"):
        assert trends.trends_json(store, by=by, today=date(2026, 6, 1))["shifts"] == []


def test_planted_shift_in_real_spanish_reviews(store, real_dir):
    """Real TripAdvisor reviews on synthetic months: from 2024-06 on, reviews that talk about price are
    sampled three times as often. The scan must date the rise of 'precio' to 2024-06 ± 1."""
    df = pd.read_csv(real_dir / "tripadvisor_sevilla_japanese_es.csv", encoding="utf-8-sig")
    df = df[df["text"].notna() & (df["text"].str.len() > 20)].reset_index(drop=True)
    price = df["text"].str.contains(r"\b(?:precio|caro|cara|caros|barato|económico)\b", flags=re.IGNORECASE)
    rng = np.random.default_rng(3)
    months = pd.period_range("2023-01", "2024-12", freq="M")
    per_month, rows = 400, []
    for i, m in enumerate(months):   # 24 draws of a sample; the rows themselves are sampled vectorised
        w = np.where(price, 3.0 if m >= pd.Period("2024-06", "M") else 1.0, 1.0)
        pick = rng.choice(len(df), size=per_month, replace=True, p=w / w.sum())
        day = rng.integers(1, m.days_in_month + 1, per_month)
        rows.append(pd.DataFrame({"src": pick,
                                  "date": [m.start_time + pd.Timedelta(days=int(d) - 1) for d in day]}))
    s = pd.concat(rows, ignore_index=True)
    fb = pd.DataFrame({"feedback_id": [f"t{i:05d}" for i in range(len(s))], "date": s["date"],
                       "text": df["text"].to_numpy()[s["src"]],
                       "product": df["restaurant_name"].to_numpy()[s["src"]],
                       "region": "Lima"})
    fb["text"] = fb["text"] + " #" + fb["feedback_id"]     # distinct texts (the store hashes them)
    mentions = pd.DataFrame({"feedback_id": fb.loc[price.to_numpy()[s["src"]], "feedback_id"],
                             "attribute": "precio", "polarity": "negative"})
    load_fixture(store, fb, mentions)
    res = trends.shift_scan(store, by="attribute", today=date(2026, 1, 1))
    row = res[(res["key"] == "precio") & (res["polarity"] == "negative") & (res["metric"] == "share")
              & (res["segment_type"] == "all")].iloc[0]
    assert row["significant"] and row["direction"] == "up"
    assert abs(_month_diff(row["start_month"], "2024-06")) <= 1, row.to_dict()
    assert row["rate_after"] > row["rate_before"] * 1.5


def test_segment_breakdown_locates_the_shift(store):
    fb, mentions = synthetic()
    load_fixture(store, fb, mentions)
    res = trends.shift_scan(store, by="attribute", today=date(2026, 6, 1))
    sig = res[res["significant"]]
    south = sig[(sig["key"] == "picante") & (sig["polarity"] == "positive") & (sig["segment_type"] == "zone")]
    assert south["segment"].tolist()[:1] == ["sur"]
    assert south.iloc[0]["start_month"] == "2025-03"
    # the dulce complaints live in beverages in Lima+Arequipa: the strongest segment says so
    dulce = sig[(sig["key"] == "dulce") & (sig["polarity"] == "negative")]
    assert dulce.iloc[0]["segment"] in {"bebidas · Lima", "bebidas · Arequipa", "bebidas"}
    assert dulce.iloc[0]["direction"] == "up"
    # no planted change elsewhere: nothing significant in regions outside the two shifted cells
    north = sig[(sig["segment_type"] == "region") & sig["segment"].isin(["Piura", "Trujillo", "Iquitos"])]
    assert north.empty, north[["key", "polarity", "segment"]]
    assert wording.headline(south.iloc[0]) == "picante positivo ↑ en el sur desde marzo 2025"


def test_recent_window_compares_last_three_months_with_six_before(store):
    fb, mentions = synthetic()
    load_fixture(store, fb, mentions)
    res = trends.shifts(store, by="attribute", window=3, baseline=6, today=date(2026, 6, 1))
    assert set(res["after_from"]) == {"2025-10"} and set(res["before_from"]) == {"2025-04"}
    # picante in the south rose in 2025-03: by Oct-Dec vs Apr-Sep it is already in the baseline,
    # so the recent test sees a smaller effect than the scan
    scan = trends.shift_scan(store, by="attribute", today=date(2026, 6, 1))
    key = ["key", "polarity", "metric", "segment_type", "segment"]
    both = res.merge(scan, on=key, suffixes=("_w", "_s"))
    row = both[(both["key"] == "picante") & (both["polarity"] == "positive")
               & (both["segment"] == "sur")].iloc[0]
    assert row["effect_s"] > row["effect_w"]


def test_partial_last_month_is_marked_and_never_read_as_a_drop(store):
    fb, mentions = synthetic(n=12_000)
    # add a half-collected January 2026: 5 days, many comments, no mention at all (a fake "drop")
    extra = pd.DataFrame({"feedback_id": [f"p{i}" for i in range(1500)],
                          "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(1500) % 5, unit="D"),
                          "region": "Lima", "category": "bebidas", "product": "bebidas-a", "channel": "web"})
    extra["text"] = "comentario " + extra["feedback_id"]
    load_fixture(store, pd.concat([fb, extra], ignore_index=True), mentions)
    ot = trends.over_time(store, "attribute", today=date(2026, 6, 1))
    assert ot.loc[ot["period"] == "2026-01-01", "partial"].all()
    assert not ot.loc[ot["period"] < "2026-01-01", "partial"].any()
    payload = trends.trends_json(store, today=date(2026, 6, 1))
    assert payload["data"]["partial_period"] == "2026-01"
    recent = pd.DataFrame(payload["recent"])
    assert recent.empty or not (recent["direction"] == "down").any()
    assert all(r["after_to"] <= "2025-12" for r in payload["shifts"])
    # a month still running is partial even when its days so far are all there
    assert trends.is_partial(pd.Timestamp("2026-05-01"), date(2026, 5, 31), today=date(2026, 5, 20))


def test_small_segments_are_insufficient_data_not_trends(store):
    fb, mentions = synthetic(n=6000)
    tiny = pd.DataFrame({"feedback_id": [f"x{i}" for i in range(12)],
                         "text": [f"raro {i}" for i in range(12)],
                         "date": pd.date_range("2024-01-05", periods=12, freq="60D"), "region": "Tacna",
                         "category": "bebidas", "product": "bebidas-a", "channel": "web"})
    tm = pd.DataFrame({"feedback_id": tiny["feedback_id"][6:], "attribute": "amargo", "polarity": "negative"})
    load_fixture(store, pd.concat([fb, tiny]), pd.concat([mentions, tm]))
    res = trends.shift_scan(store, by="attribute", today=date(2026, 6, 1))
    tacna = res[(res["segment"] == "Tacna") & (res["key"] == "amargo")]
    assert len(tacna) and (tacna["status"] == "insufficient data").all()
    assert tacna["q"].isna().all() and tacna["p"].isna().all()


def test_filters_restrict_the_comments_counted(store):
    fb, mentions = synthetic(n=8000)
    load_fixture(store, fb, mentions)
    counts = trends.series_counts(store, "attribute", Filters(regions=("Lima",)), segment_types=("all",))
    n_lima = int((fb["region"] == "Lima").sum())
    totals = counts[(counts["key"] == "dulce") & (counts["polarity"] == "all")]["n"].sum()
    assert totals == n_lima


def test_bad_arguments_get_clear_messages(store):
    with pytest.raises(ValueError, match="by"):
        trends.series_counts(store, by="sabores")
    with pytest.raises(ValueError, match="period"):
        trends.series_counts(store, period="week")


def test_topic_product_and_region_series_count_the_right_comments(store):
    from analysis.store import save_topic_run

    fb, mentions = synthetic(n=5000)
    load_fixture(store, fb, mentions)
    cats = sorted(fb["category"].unique())
    topic = fb["category"].map({c: i for i, c in enumerate(cats)}).to_numpy().copy()
    topic[::10] = -1                                    # unassigned comments are in no topic series
    save_topic_run(store, {"run_id": "t1", "created_at": pd.Timestamp("2026-01-01"), "n_docs": len(fb)},
                   pd.DataFrame({"topic_id": range(len(cats)), "label": [f"tema {c}" for c in cats],
                                 "keywords": cats, "size": 0}),
                   pd.DataFrame({"feedback_id": fb["feedback_id"], "topic_id": topic, "prob": 1.0}))
    c = trends.series_counts(store, "topic", segment_types=("all",))
    share = c[c["metric"] == "share"]
    per_topic = share.groupby("key")["k"].sum()
    expected = pd.Series(topic[topic >= 0]).map(dict(enumerate(f"tema {x}" for x in cats))).value_counts()
    assert per_topic.sort_index().tolist() == expected.sort_index().tolist()
    assert (share.groupby("period")["n"].first().sum()) == len(fb)       # n = every comment of the month
    for by in ("product", "region"):
        c = trends.series_counts(store, by, segment_types=("all",))
        s = c[c["metric"] == "share"].groupby("key")["k"].sum()
        assert s.to_dict() == fb[by].value_counts().to_dict()
