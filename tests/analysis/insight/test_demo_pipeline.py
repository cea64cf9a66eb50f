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


# Every shift is held to its documented month ± 1 from the model's own readings. What it took (issue #13):
# picante praise in the south ("pica rico", "el picante está buenazo") read by cues, not left to the clause
# sentiment; the product name "salsa de ají amarillo" no longer a picante mention; "dulzor normal", sugar in
# an ingredient list and "dicen que es saludable" no longer complaints or praise. With those, the model's
# monthly series follow the truth file's to within a comment or two per month.
TREND_KEYS = ["S1", "S2", "S3", "S4"]
REC_KEYS = ["S1", "S2", "S3", "S4"]


def _shift(key: str) -> dict:
    return next(s for s in planted_shifts() if s["key"] == key)


@pytest.mark.parametrize("key", TREND_KEYS)
def test_every_planted_shift_is_found_from_model_predictions(demo_scored_store, key):
    payload = trends.trends_json(demo_scored_store, by="attribute")
    zones = _zone_regions(demo_scored_store)
    s = _shift(key)
    hits = [r for r in payload["shifts"] if matches_planted(r, s, zones)]
    best = min(hits, key=lambda r: r["q"]) if hits else None
    found = (f"{best['segment']} {best['direction']} from {best['start_month']} (q={best['q']:.1e})"
             if best else "not significant")
    ok = bool(best) and best["direction"] == s["direction"] \
        and months_apart(best["start_month"], s["start"]) <= 1
    assert ok, f"{key} {s['attribute']}/{s['polarity']} planted {s['direction']} from {s['start']}: {found}"


@pytest.fixture(scope="module")
def taste_recs(demo_scored_store):
    recs = recommendations.recommendations(demo_scored_store)
    return recs[recs["kind"] == "taste"].to_dict("records")


def _planted_rec(taste, s):
    return [r for r in taste if r["attribute"] == s["attribute"] and r["polarity"] == s["polarity"]
            and set(r["products"]) & set(s["products"]) and r["direction"] == s["direction"]]


@pytest.mark.parametrize("key", REC_KEYS)
def test_recommendations_from_the_model_name_each_planted_shift(taste_recs, key):
    s = _shift(key)
    hits = _planted_rec(taste_recs, s)
    assert hits, (key, [(r["attribute"], r["polarity"], r["direction"]) for r in taste_recs])
    r = hits[0]
    assert r["audience"] == AUDIENCE[key], (key, r["audience"])
    assert months_apart(r["start_month"], s["start"]) <= 1, (key, r["start_month"], s["start"])


def test_nothing_unplanted_outranks_a_planted_shift(taste_recs):
    ranks = [h[0]["rank"] for h in (_planted_rec(taste_recs, s) for s in planted_shifts()) if h]
    assert ranks
    above = [r for r in taste_recs if r["rank"] <= max(ranks)]
    planted = {(s["attribute"], s["polarity"]) for s in planted_shifts()}
    assert all((r["attribute"], r["polarity"]) in planted for r in above), \
        pd.DataFrame(above)[["rank", "attribute", "polarity", "direction", "products", "start_month"]]
