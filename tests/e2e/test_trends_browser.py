"""A user opens Tendencias on the demo data, clicks a point of a trend chart and reads the comments
behind it. The demo is loaded through the real ingestion; its taste mentions come from the generator's
truth (model_version 'truth-fixture') so the test does not wait for BERT on 13k comments."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis.demo import load_demo
from analysis.store import Store
from tests.analysis.insight.trend_fixtures import attach_demo_truth
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def test_tendencias_drill_down_from_chart_point_to_verbatims(app_server, page, tmp_path):
    db = tmp_path / "trends.duckdb"
    store = Store.open(db)
    load_demo(store)
    assert attach_demo_truth(store, ROOT / "data") > 10_000
    store.close()                      # the app process opens the file itself

    url = app_server(db)
    page.goto(f"{url}/tendencias")
    page.get_by_text("picante positivo ↑ en el sur desde marzo 2025").first.wait_for()
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".scatterlayer .trace .points path").first.wait_for()
    page.screenshot(path=str(tmp_path / "tendencias.png"), full_page=True)

    # click a point of the first panel
    points = chart.locator(".scatterlayer .trace").first.locator(".points path")
    n = points.count()
    assert n >= 20                     # 24 monthly points
    target = points.nth(n - 1)          # the last month: after every planted change
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    page.get_by_text("Comentarios detrás de", exact=False).first.wait_for()
    heading = page.get_by_text("Comentarios detrás de", exact=False).first.inner_text()
    assert "2025-12" in heading        # the month clicked
    # the table right under that heading holds the clicked month's comments
    grid = page.locator("xpath=//*[contains(text(), 'Comentarios detrás de')]/following::*"
                        "[@data-testid='stDataFrame'][1]")
    grid.wait_for()
    grid.locator("canvas").first.wait_for()
    assert grid.bounding_box()["height"] > 100         # header + several rows of verbatims
    page.screenshot(path=str(tmp_path / "tendencias_drill.png"), full_page=True)
    shots = Path("/tmp/sabor_e2e")            # kept after the run for a human to look at
    shots.mkdir(exist_ok=True)
    for f in tmp_path.glob("*.png"):
        (shots / f.name).write_bytes(f.read_bytes())
