"""Insights on the demo survey, whose truth is known (data/README.md, planted shifts S1..S4).

Taste mentions come from the generator's truth (tests/fixtures_truth.py, model 'truth-fixture'), loaded
through the real ingestion, so what is under test is the recommendation logic, not the classifier.
Every number a recommendation states is recomputed here from the raw CSV rows with plain pandas.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.insight import cells, drivers, findings, recommendations
from analysis.store import Store
from tests.analysis.insight.trend_fixtures import planted_shifts
from tests.fixtures_truth import DATA, read_truth

AUDIENCE = {"S1": "producto", "S2": "marketing", "S3": "riesgo", "S4": "marketing"}


@pytest.fixture(scope="module")
def recs(demo_truth_store):
    return recommendations.recommendations(demo_truth_store)


@pytest.fixture(scope="module")
def raw():
    """The raw rows, read independently of the app: one row per comment, plus its truth mentions."""
    fb = pd.read_csv(DATA / "demo_feedback.csv", dtype=str, keep_default_na=False)
    fb["date"] = pd.to_datetime(fb["Fecha de respuesta"], format="%d/%m/%Y")
    fb["rating"] = pd.to_numeric(fb["Calificación (1-5)"].replace("", np.nan))
    truth = read_truth()
    return fb, truth[truth["attribute"] != ""]


def _months_apart(a: str, b: str) -> int:
    return abs((int(a[:4]) - int(b[:4])) * 12 + int(a[5:7]) - int(b[5:7]))


def test_every_planted_shift_is_a_top5_recommendation_with_audience_direction_product_region(recs):
    top = recs.head(5).to_dict("records")
    for s in planted_shifts():
        hits = [r for r in top if r["attribute"] == s["attribute"] and r["polarity"] == s["polarity"]
                and set(r["products"]) <= set(s["products"]) and set(r["products"])]
        assert hits, f"{s['key']} ({s['title']}) not in the top 5: {[r['title'] for r in top]}"
        r = hits[0]
        assert r["direction"] == s["direction"], (s["key"], r["direction"])
        assert r["audience"] == AUDIENCE[s["key"]], (s["key"], r["audience"])
        if s["regions"] is None:
            assert r["regions"] is None, (s["key"], r["regions"])
        else:
            assert set(r["regions"]) == set(s["regions"]), (s["key"], r["regions"])
        assert _months_apart(r["start_month"], s["start"]) <= 2, (s["key"], r["start_month"], s["start"])
        assert len(r["verbatims"]) == 3
        assert r["link"].startswith("/tendencias?") and f"attribute={s['attribute']}" in r["link"]


MARKET_COLS = ["Índice de ventas", "Interés de búsqueda", "Precio promedio (S/)"]


def test_every_number_in_a_recommendation_is_recomputed_from_the_raw_rows(recs, raw):
    fb, mentions = raw
    market = pd.read_csv(DATA / "demo_market.csv", dtype={"Mes": str})
    taste = recs[recs["kind"] == "taste"]
    assert len(taste)
    for r in taste.to_dict("records"):
        seg = fb[fb["Producto"].isin(r["products"])]
        if r["regions"] is not None:
            seg = seg[seg["Región"].isin(r["regions"])]
        start = pd.Timestamp(r["start_month"] + "-01")
        end = pd.Timestamp(r["end_month"] + "-01") + pd.offsets.MonthEnd(0)
        ids = set(mentions.loc[(mentions["attribute"] == r["attribute"])
                               & (mentions["polarity"] == r["polarity"]), "ID Encuesta"])
        before, after = seg[seg["date"] < start], seg[(seg["date"] >= start) & (seg["date"] <= end)]
        hit_b, hit_a = before["ID Encuesta"].isin(ids), after["ID Encuesta"].isin(ids)
        assert (r["k_before"], r["n_before"], r["k_after"], r["n_after"]) == \
            (hit_b.sum(), len(before), hit_a.sum(), len(after))
        impact = after.loc[hit_a, "rating"].mean() - after.loc[~hit_a, "rating"].mean()
        stars_b, stars_a = before["rating"].mean(), after["rating"].mean()
        assert r["impact"] == pytest.approx(impact, abs=1e-9)
        assert (r["stars_before"], r["stars_after"]) == pytest.approx((stars_b, stars_a), abs=1e-9)
        months = len(pd.period_range(r["start_month"], r["end_month"], freq="M"))
        change = hit_a.mean() - hit_b.mean()
        assert r["priority"] == pytest.approx(abs(impact) * len(after) / months * abs(change), rel=1e-9)
        # the sentence a manager reads: every number in it
        pct = [float(x) for x in re.findall(r"(\d+\.\d)%", r["text"])]
        assert pct == [round(100 * hit_b.mean(), 1), round(100 * hit_a.mean(), 1)], r["text"]
        stars = re.search(r"impacto ([+−]\d+\.\d\d) estrellas", r["text"]).group(1).replace("−", "-")
        assert float(stars) == round(impact, 2)
        n_txt = re.search(r"\(([\d,]+) comentarios", r["text"]).group(1)
        assert int(n_txt.replace(",", "")) == len(after)
        # market evidence: plain means of the wide market file, before vs since the shift
        mkt = market[market["Producto"].isin(r["products"])]
        if r["regions"] is not None:
            mkt = mkt[mkt["Región"].isin(r["regions"])]
        got = {m["metric"]: m for m in r["market"]}
        assert set(got) == set(MARKET_COLS)
        for col in MARKET_COLS:
            b = mkt.loc[mkt["Mes"] < r["start_month"], col].mean()
            a = mkt.loc[(mkt["Mes"] >= r["start_month"]) & (mkt["Mes"] <= r["end_month"]), col].mean()
            assert (got[col]["before"], got[col]["after"]) == pytest.approx((b, a), rel=1e-9)
            change = 100 * (a / b - 1)
            shown = f"{col} {change:+.1f}%".replace("-", "−")
            assert (shown in r["market_text"]) == (abs(change) >= 5), (shown, r["market_text"])


def _readme_counts(shift: str, segment: str) -> tuple[int, int, int, int]:
    """(with mention before, n before, with mention after, n after) from data/README.md's shift table."""
    readme = (Path(__file__).resolve().parents[3] / "data" / "README.md").read_text(encoding="utf-8")
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 12 and cells[0] == shift and cells[1] == segment:
            return int(cells[4]), int(cells[3]), int(cells[9]), int(cells[8])
    raise AssertionError(f"{shift} {segment} not in data/README.md")


def test_readme_numbers_of_s1_and_s2_are_what_the_recommendations_say(recs):
    """The counts data/README.md measured for S1 (Lima + Arequipa) and S2 (Arequipa + Cusco)."""
    by_attr = {r["attribute"]: r for r in recs.to_dict("records")}
    s1, s2 = by_attr["dulce"], by_attr["picante"]
    assert ((s1["k_before"], s1["n_before"], s1["k_after"], s1["n_after"])
            == _readme_counts("S1", "Lima + Arequipa"))
    assert ((s2["k_before"], s2["n_before"], s2["k_after"], s2["n_after"])
            == _readme_counts("S2", "Arequipa + Cusco"))
    assert s1["stars_after"] < s1["stars_before"] and s1["impact"] < 0
    assert s2["impact"] > 0


def test_verbatims_come_from_the_segment_carry_the_mention_and_are_redacted(recs, raw, demo_truth_store):
    fb, mentions = raw
    for r in recs.head(4).to_dict("records"):
        seg = fb[fb["Producto"].isin(r["products"]) & (fb["date"] >= pd.Timestamp(r["start_month"] + "-01"))]
        if r["regions"] is not None:
            seg = seg[seg["Región"].isin(r["regions"])]
        ids = set(mentions.loc[(mentions["attribute"] == r["attribute"])
                               & (mentions["polarity"] == r["polarity"]), "ID Encuesta"])
        texts = set(seg.loc[seg["ID Encuesta"].isin(ids), "Comentario del cliente"])
        assert len(set(r["verbatims"])) == 3
        assert all(v in texts for v in r["verbatims"]), r["verbatims"]


def test_verbatims_redact_pii(demo_truth_store, raw):
    """Comments with an e-mail, phone or DNI (the demo plants a few) never show it in a recommendation."""
    fb, _ = raw
    truth = read_truth()
    pii = truth[(truth["pii"] != "") & (truth["attribute"] != "")].drop_duplicates("ID Encuesta").head(6)
    assert len(pii) >= 3
    for t in pii.to_dict("records"):
        row = fb[fb["ID Encuesta"] == t["ID Encuesta"]].iloc[0]
        rec = {"products": (row["Producto"],), "regions": (row["Región"],), "attribute": t["attribute"],
               "polarity": t["polarity"], "start_month": row["date"].strftime("%Y-%m")}
        shown = cells.rec_verbatims(demo_truth_store, rec, n=10_000)
        original = row["Comentario del cliente"]
        assert original not in shown, f"{t['pii']} shown unredacted"
        placeholder = {"email": "[EMAIL]", "phone": "[TELÉFONO]", "dni": "[DNI]"}[t["pii"]]
        assert any(placeholder in v for v in shown), (t["pii"], original)


def test_shuffled_dates_no_recommendation_claims_a_trend(tmp_path):
    from tests.fixtures_truth import load_demo_with_truth

    s = Store.open(tmp_path / "shuf.duckdb")
    try:
        load_demo_with_truth(s, shuffle_dates=True, tmp_dir=tmp_path)
        den, mk = cells.load_cells(s)
        # the control keeps the static facts (dulzor complaints still concentrated in Lima)...
        hot = findings.hot_regions(den, mk)
        assert ((hot["attribute"] == "dulce") & (hot["region"] == "Lima")).any()
        shifts = findings.detect_shifts(den, mk, cells.last_date(s))
        assert (shifts["status"] != "insufficient data").sum() > 200   # ...many series really tested...
        recs = recommendations.recommendations(s, cells=(den, mk), shifts=shifts)
        assert recs.empty, recs["text"].tolist()                      # ...and no trend is claimed
    finally:
        s.close()


def test_shift_table_from_analysis_trends_feeds_the_same_rules(demo_truth_store):
    """The adapter turns analysis.insight.trends' result rows into shifts the rules read (their segments,
    coarser)."""
    from analysis.insight import trends

    den, mk = cells.load_cells(demo_truth_store)
    rows = trends.shift_scan(demo_truth_store)
    sh = findings.shifts_from_trends(rows, den, cells.product_categories(demo_truth_store))
    assert set(findings.SHIFT_COLUMNS) <= set(sh.columns)
    recs = recommendations.recommendations(demo_truth_store, shifts=sh, cells=(den, mk), verbatims=1)
    got = {(r["attribute"], r["polarity"], r["direction"]): r for r in recs.to_dict("records")}
    s3 = got[("empaque", "negative", "up")]
    assert s3["products"] == ("Galletas de kiwicha",) and s3["audience"] == "riesgo"
    assert got[("saludable", "positive", "down")]["products"] == ("Yogur bebible de fresa 1 L",)


def test_drivers_rank_complaints_below_praise_and_match_pandas(demo_truth_store, raw):
    fb, mentions = raw
    den, mk = cells.load_cells(demo_truth_store)
    d = drivers.drivers(den, mk)
    worst, best = d.iloc[0], d.iloc[-1]
    assert worst["polarity"] == "negative" and worst["impact"] < -1
    assert best["polarity"] == "positive" and best["impact"] > 0.3
    row = d[(d["attribute"] == "empaque") & (d["polarity"] == "negative")].iloc[0]
    ids = set(mentions.loc[(mentions["attribute"] == "empaque") & (mentions["polarity"] == "negative"),
                           "ID Encuesta"])
    hit = fb["ID Encuesta"].isin(ids)
    assert row["mentions"] == hit.sum()
    assert row["impact"] == pytest.approx(fb.loc[hit, "rating"].mean() - fb.loc[~hit, "rating"].mean(),
                                          abs=1e-9)
    assert row["ci_low"] < row["impact"] < row["ci_high"] and row["significant"]
    by_product = drivers.drivers(den, mk, by="product")
    assert set(by_product["product"]) == set(fb["Producto"])


def test_segment_comparison_south_vs_lima_on_picante_and_sentiment(demo_truth_store, raw):
    fb, mentions = raw
    counts = cells.segment_counts(demo_truth_store, "region", "Cusco", "Lima")
    cmp = drivers.compare_segments(counts, "Cusco", "Lima")
    row = cmp[(cmp["attribute"] == "picante") & (cmp["polarity"] == "positive")].iloc[0]
    ids = set(mentions.loc[(mentions["attribute"] == "picante") & (mentions["polarity"] == "positive"),
                           "ID Encuesta"])
    cus, lim = fb[fb["Región"] == "Cusco"], fb[fb["Región"] == "Lima"]
    assert (row["k_a"], row["n_a"]) == (cus["ID Encuesta"].isin(ids).sum(), len(cus))
    assert (row["k_b"], row["n_b"]) == (lim["ID Encuesta"].isin(ids).sum(), len(lim))
    assert row["significant"] and row["diff"] > 0
    assert {"negative", "neutral", "positive"} <= set(cmp.loc[cmp["attribute"] == "sentimiento", "polarity"])
    # two channels with the same product mix: nothing differs beyond chance
    ch = drivers.compare_segments(cells.segment_counts(demo_truth_store, "channel", "Bodega", "Supermercado"),
                                   "Bodega", "Supermercado")
    assert len(ch) > 20 and not ch["significant"].any(), ch[ch["significant"]]


def test_bad_segment_requests_get_clear_messages(demo_truth_store):
    with pytest.raises(ValueError, match="No se puede comparar"):
        cells.segment_counts(demo_truth_store, "color", "a", "b")
    with pytest.raises(ValueError, match="dos segmentos distintos"):
        cells.segment_counts(demo_truth_store, "region", "Lima", "Lima")


def test_empty_database_gives_no_recommendations(store):
    assert recommendations.recommendations(store).empty
