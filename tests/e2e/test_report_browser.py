"""A manager opens Recomendaciones on the demo data in a real browser, reads the cards, follows the
audience tabs and downloads the PDF report."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from analysis.insight import recommendations
from analysis.store import Store
from tests.fixtures_truth import load_demo_with_truth

pytestmark = pytest.mark.browser


def test_recomendaciones_cards_and_pdf_download(app_server, page, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    db = tmp_path / "demo.duckdb"
    s = Store.open(db)
    load_demo_with_truth(s)
    recs = recommendations.recommendations(s, verbatims=0)
    s.close()                                    # the app process opens the file next
    assert len(recs) >= 4
    first = recs.iloc[0]
    producto = recs[recs["audience"] == "producto"].iloc[0]

    url = app_server(db)
    # through the router's navigation, as a user does
    page.goto(url)
    page.get_by_text("Idioma / Language").wait_for(timeout=120_000)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Recomendaciones").click()
    page.get_by_text(first["title"], exact=False).first.wait_for(timeout=120_000)
    page.get_by_text("Resumen ejecutivo").first.wait_for()

    # the producto tab holds the dulzor finding, with its link to the filtered Tendencias view
    n_prod = int((recs["audience"] == "producto").sum())
    page.get_by_role("tab", name=f"Producto ({n_prod})").click()
    page.get_by_text(producto["title"], exact=False).first.wait_for()
    link = page.locator(f'a[href^="/tendencias?attribute={producto["attribute"]}"]').first
    link.wait_for(state="attached")
    assert "region=Lima" in link.get_attribute("href")
    page.screenshot(path=str(tmp_path / "recomendaciones.png"), full_page=True)

    # the report: PDF, prepared, downloaded
    page.get_by_text("PDF", exact=True).click()
    page.get_by_role("button", name="Preparar informe").click()
    button = page.get_by_role("button", name="Descargar informe")
    button.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    dl = info.value
    assert dl.suggested_filename == "sabor_informe.pdf"
    target = tmp_path / dl.suggested_filename
    dl.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Subtype /Image") >= 2
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(target),
                        str(tmp_path / "pg")], check=True)
        assert list(tmp_path.glob("pg-*1.png"))
