"""A user asks questions on the Preguntar page in headless Chromium and sees the number and the chart."""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from analysis.store import Store
from tests.analysis.ask.ask_fixtures import build_small_db

pytestmark = pytest.mark.browser


def test_ask_a_question_in_the_browser(app_server, page, tmp_path, monkeypatch):
    db = tmp_path / "ask.duckdb"
    store = Store.open(db)
    build_small_db(store)
    n_lima = store.scalar("SELECT count(*) FROM feedback WHERE region = 'Lima'")
    per_region = store.query(
        "SELECT f.region, count(DISTINCT f.feedback_id) AS n "
        "FROM feedback f JOIN taste_mentions m USING (feedback_id) "
        "WHERE m.attribute = 'precio' AND m.polarity = 'negative' GROUP BY 1 ORDER BY n DESC, 1")
    store.close()  # the app process opens the file itself

    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    url = app_server(db)
    page.goto(url)  # through the router's navigation, as a user would
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Preguntar", exact=True).click()
    box = page.locator('[data-testid="stChatInput"] textarea')
    box.wait_for()

    box.fill("¿Cuántos comentarios hay en Lima?")
    box.press("Enter")
    page.get_by_text(f"Hubo {n_lima} comentarios en Lima.").wait_for()
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text().strip() == str(n_lima)
    page.get_by_text("Asistente integrado", exact=False).first.wait_for()

    box.fill("¿Cuántas quejas por precio hay por región?")
    box.press("Enter")
    top = per_region.iloc[0]
    page.get_by_text(f"{top['region']} ({top['n']})", exact=False).first.wait_for()
    chart = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').last
    chart.locator(".bars path").first.wait_for()
    assert chart.locator(".bars path").count() == len(per_region)
    # The expander may still be re-rendering after the chart appears; a click then lands on the old one.
    # Retry the click a few times: the SQL text must become visible.
    sql = page.get_by_text("mentions_enriched", exact=False).last
    for attempt in range(4):
        page.get_by_text("SQL ejecutado").last.click()
        try:
            sql.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 3:
                raise
    page.screenshot(path=str(tmp_path / "preguntar.png"), full_page=True)
