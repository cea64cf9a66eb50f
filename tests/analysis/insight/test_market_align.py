"""Lead/lag between feedback shifts and market series."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis.insight import market_align, trends
from tests.analysis.insight.trend_fixtures import demo_folder, demo_frames, load_demo_market, load_fixture


def test_lead_lag_finds_the_lag_the_series_were_built_with():
    rng = np.random.default_rng(0)
    idx = pd.date_range("2022-01-01", periods=36, freq="MS")
    market = pd.Series(np.cumsum(rng.normal(0, 1, 36)), index=idx)
    feedback = market.shift(2) + rng.normal(0, 0.2, 36)     # feedback follows the market 2 months later
    table = market_align.lead_lag(feedback.dropna(), market, max_lag=3)
    best = market_align.best_lag(table, "cambio")
    assert best["lag"] == 2 and best["r"] > 0.8
    assert best["months"] == 33        # 34 feedback months, one lost to differencing, overlap with lag 2
    assert set(table["lag"]) == set(range(-3, 4))


def test_too_few_months_gives_no_correlation_and_says_so():
    idx = pd.date_range("2024-01-01", periods=4, freq="MS")
    s = pd.Series([1.0, 2.0, 3.0, 5.0], index=idx)
    table = market_align.lead_lag(s, s * 2, max_lag=1)
    assert table["r"].isna().all()
    assert "4 meses" in market_align.caveats(table)[0]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return demo_folder(tmp_path_factory)


def test_demo_south_picante_shift_moves_with_search_interest(store, demo_dir):
    fb, mentions, sentiment = demo_frames(demo_dir)
    load_fixture(store, fb, mentions, sentiment)
    load_demo_market(store, demo_dir)
    scan = trends.shift_scan(store, today=date(2026, 6, 1))
    row = scan[(scan["key"] == "picante") & (scan["polarity"] == "positive") & (scan["segment"] == "sur")
               & (scan["metric"] == "share")].iloc[0].to_dict()
    out = market_align.align_shift(store, row, "Interés de búsqueda", max_lag=3)
    assert set(out["regions"]) == {"Arequipa", "Cusco"}
    assert out["months"] >= 20
    levels = out["table"][(out["table"]["kind"] == "nivel") & (out["table"]["lag"].between(0, 1))]
    assert levels["r"].max() > 0.7      # searches and praise rise together (searches a month ahead)
    assert any("causalidad" in c for c in out["caveats"])
    # a series with no planted market link correlates far less
    other = scan[(scan["key"] == "textura") & (scan["segment_type"] == "all")
                 & (scan["polarity"] == "positive") & (scan["metric"] == "share")].iloc[0].to_dict()
    weak = market_align.align_shift(store, other, "Interés de búsqueda", max_lag=3)
    assert weak["table"]["r"].abs().max() < levels["r"].max()
