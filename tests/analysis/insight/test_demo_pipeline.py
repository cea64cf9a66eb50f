"""The demo's four planted taste shifts come out of the real pipeline — the BERT model's own taste
attributes and polarities, not the generator's truth file — with their direction, cell and start month."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.insight import recommendations, trends
from tests.analysis.insight.trend_fixtures import matches_planted, planted_shifts
from tests.plant import months_apart

pytestmark = pytest.mark.slow

AUDIENCE = {"S1": "producto", "S2": "marketing", "S3": "riesgo", "S4": "marketing"}


def _zone_regions(store) -> dict[str, set]:
    df = store.query(f"SELECT DISTINCT region, {trends.zone_sql('region')} AS zone FROM feedback")
    return df.dropna().groupby("zone")["region"].agg(set).to_dict()


def test_every_planted_shift_is_found_from_model_predictions(demo_scored_store):
    payload = trends.trends_json(demo_scored_store, by="attribute")
    zones = _zone_regions(demo_scored_store)
    report, missing = [], []
    for s in planted_shifts():
        hits = [r for r in payload["shifts"] if matches_planted(r, s, zones)]
        best = min(hits, key=lambda r: r["q"]) if hits else None
        ok = bool(best) and best["direction"] == s["direction"] and months_apart(best["start_month"],
                                                                                 s["start"]) <= 1
        found = (f"{best['segment']} {best['direction']} from {best['start_month']} (q={best['q']:.1e})"
                 if best else "not significant")
        report.append(f"{s['key']} {s['attribute']}/{s['polarity']} planted {s['direction']} "
                      f"from {s['start']}: {found}")
        if not ok:
            missing.append(s["key"])
    assert not missing, "\n".join(report)


def test_recommendations_from_the_model_lead_with_the_planted_shifts(demo_scored_store):
    recs = recommendations.recommendations(demo_scored_store)
    taste = recs[recs["kind"] == "taste"].to_dict("records")
    ranks = []
    for s in planted_shifts():
        hits = [r for r in taste if r["attribute"] == s["attribute"] and r["polarity"] == s["polarity"]
                and set(r["products"]) & set(s["products"]) and r["direction"] == s["direction"]]
        assert hits, (s["key"], [(r["attribute"], r["polarity"], r["direction"]) for r in taste])
        r = hits[0]
        assert r["audience"] == AUDIENCE[s["key"]], (s["key"], r["audience"])
        assert months_apart(r["start_month"], s["start"]) <= 1, (s["key"], r["start_month"], s["start"])
        ranks.append(r["rank"])
    # nothing that was never planted outranks a planted shift among the taste recommendations
    above = [r for r in taste if r["rank"] <= max(ranks)]
    planted = {(s["attribute"], s["polarity"]) for s in planted_shifts()}
    assert all((r["attribute"], r["polarity"]) in planted for r in above), \
        pd.DataFrame(above)[["rank", "attribute", "polarity", "direction", "products", "start_month"]]
