"""A user uploads a real review file in the browser, reads the load report, then sees the monthly chart."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_upload_real_file_then_overview_chart(app_server, page, real_dir, tmp_path):
    url = app_server(tmp_path / "b.duckdb")
    page.goto(f"{url}/cargar")  # a deep link still runs the router: sidebar language switch and titles
    page.get_by_text("Idioma / Language").wait_for()
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("Cargar datos").count() == 1
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        str(real_dir / "restmex2021_guanajuato_es.csv"))
    page.get_by_role("button", name="Cargar en la base de datos").click()
    page.get_by_text("5.181 filas cargadas", exact=False).wait_for()     # 1.234 in Spanish
    page.screenshot(path=str(tmp_path / "cargar.png"), full_page=True)
    page.get_by_text("Duplicados omitidos", exact=False).first.wait_for()
    page.get_by_text("Filas rechazadas por motivo", exact=False).first.wait_for()  # table is a canvas

    page.goto(url)  # Resumen is the default page, served at the root
    page.get_by_text("Comentarios y calificación por mes").wait_for()
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    page.locator(".js-plotly-plot .bars path").first.wait_for()
    bars = page.locator(".js-plotly-plot").first.locator(".bars path").count()
    assert bars >= 80  # restmex has dated reviews in 89 distinct months
    assert page.get_by_text("5.181").count() >= 1
    page.screenshot(path=str(tmp_path / "resumen.png"), full_page=True)
