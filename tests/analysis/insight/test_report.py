"""The insights report in Markdown, HTML and PDF (+ CSV tables), the CLI that writes it, and the
executive summary (LLM from the facts only, checked, with a template fallback).

The PDF is checked the way a person would: its first page is rendered to PNG with poppler's `pdftoppm`
and must show the charts (the chart colours are on that page)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image

from analysis.insight import narrative, recommendations, wording
from analysis.insight.report import write_report
from analysis.store import Store
from tests.conftest import ROOT
from tests.fakellm import FakeLLM, reply, status

RED, GREEN = (0xC0, 0x39, 0x2B), (0x1E, 0x84, 0x49)   # the chart line colours (complaints / praise)


@pytest.fixture(scope="module")
def recs(demo_truth_store):
    return recommendations.recommendations(demo_truth_store)


@pytest.fixture(autouse=True)
def no_llm(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def _near(px, rgb, tol=40) -> bool:
    return all(abs(int(a) - b) <= tol for a, b in zip(px[:3], rgb))


def test_pdf_first_page_renders_and_shows_the_charts(demo_truth_store, recs, tmp_path):
    assert shutil.which("pdftoppm"), "poppler-utils missing: scripts/install_system_deps.sh installs it"
    pdf = write_report(demo_truth_store, "pdf", tmp_path / "informe.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Subtype /Image") >= 2   # both charts embedded
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                   check=True)
    png = next(tmp_path.glob("p-*1.png"))
    img = Image.open(png).convert("RGB")
    assert img.width > 400 and img.height > 600
    colours = img.getcolors(maxcolors=1_000_000)
    red = sum(n for n, c in colours if _near(c, RED))
    green = sum(n for n, c in colours if _near(c, GREEN))
    assert red > 200 and green > 200, (red, green)      # the trend lines of complaints and of praise
    dark = sum(n for n, c in colours if sum(c) < 200)
    assert dark > 2000                                  # and text
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(next(l for l in pages.splitlines() if l.startswith("Pages:")).split()[1]) >= 2


def test_markdown_report_has_every_recommendation_charts_and_csv_tables(demo_truth_store, recs, tmp_path):
    text = write_report(demo_truth_store, "md", tmp_path / "informe.md").read_text(encoding="utf-8")
    md = wording.md_escape
    for r in recs.to_dict("records"):
        assert md(r["text"]) in text
        assert all(md(v) in text for v in r["verbatims"])
    for name in ("tendencias", "impulsores"):
        f = tmp_path / "informe_archivos" / f"{name}.png"
        assert f"](informe_archivos/{name}.png)" in text
        assert Image.open(f).size[0] > 300
    table = pd.read_csv(tmp_path / "informe_recomendaciones.csv", encoding="utf-8-sig")
    assert len(table) == len(recs)
    assert table["rate_after"].tolist() == pytest.approx(recs["rate_after"].tolist())
    assert table.loc[0, "products"] == " | ".join(recs.iloc[0]["products"])
    drivers = pd.read_csv(tmp_path / "informe_impulsores.csv", encoding="utf-8-sig")
    assert {"attribute", "polarity", "impact", "ci_low", "ci_high"} <= set(drivers.columns)
    seg = pd.read_csv(tmp_path / "informe_segmentos.csv", encoding="utf-8-sig")
    assert {"share_a", "share_b", "q"} <= set(seg.columns) and len(seg) > 10
    assert "Segmentos: Lima vs" in text            # the two largest regions are compared


def test_html_report_is_self_contained(demo_truth_store, recs, tmp_path):
    html = write_report(demo_truth_store, "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 2
    assert recs.iloc[0]["title"] in html and "<script" not in html
    assert "src=\"informe_archivos" not in html


def test_cli_report_bad_format_is_a_clean_error(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(tmp_path / "x.duckdb"), "report",
                          "--format", "docx", "--output", str(tmp_path / "x.docx")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "docx" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_report_on_its_own_database(tmp_path):
    from tests.fixtures_truth import load_demo_with_truth

    db = tmp_path / "own.duckdb"
    s = Store.open(db)
    load_demo_with_truth(s)
    s.close()
    out = tmp_path / "own.pdf"
    r = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), "report", "--format", "pdf",
                        "--output", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("own.pdf") and out.read_bytes().startswith(b"%PDF")


def test_empty_database_report_says_there_is_nothing_to_recommend(store, tmp_path):
    text = write_report(store, "md", tmp_path / "vacio.md").read_text(encoding="utf-8")
    assert "Sin cambios significativos" in text and "0 comentarios" in text
    pdf = write_report(store, "pdf", tmp_path / "vacio.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_write_report_rejects_unknown_format(store, tmp_path):
    with pytest.raises(ValueError, match="md, html o pdf"):
        write_report(store, "docx", tmp_path / "x.docx")


# ---------------------------------------------------------------------------------------------
# Executive summary
# ---------------------------------------------------------------------------------------------

def _facts(recs):
    return narrative.build_facts(recs, None, 13442, "2024-01-01", "2025-12-31")


def test_summary_without_llm_is_the_template_with_only_fact_numbers(recs):
    facts = _facts(recs)
    out = narrative.executive_summary(facts)
    assert out["source"] == "template" and out["reason"] == "no_api_key"
    assert "13,442" in out["text"] and recs.iloc[0]["title"] in out["text"]
    assert narrative.unsupported_numbers(out["text"], facts) == set()


def test_llm_summary_is_used_when_every_number_is_in_the_facts(recs, monkeypatch):
    facts = _facts(recs)
    r0 = facts["recommendations"][0]
    good = (f"Prioridad: {r0['title']}. Las quejas pasaron de {r0['rate_before']} a {r0['rate_after']} "
            f"desde {r0['since']} (impacto {r0['impact_stars']} estrellas), "
            f"sobre {facts['comments']} comentarios.")
    with FakeLLM([reply(good)]) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        out = narrative.executive_summary(facts)
    assert out == {"text": good, "source": "llm", "reason": ""}
    sent = json.loads(fake.requests[0].body["messages"][1]["content"])
    assert sent == json.loads(json.dumps(facts))           # the facts, structured, and nothing else
    assert "verbatims" not in fake.requests[0].body["messages"][1]["content"]


def test_llm_summary_with_an_invented_number_falls_back_to_the_template(recs, monkeypatch):
    facts = _facts(recs)
    invented = "Las quejas de empaque subieron 37.5% y costarán S/ 120000 en ventas."
    with FakeLLM([reply(invented)]) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        out = narrative.executive_summary(facts)
    assert out["source"] == "template" and out["reason"].startswith("unsupported_numbers")
    assert "37.5" in out["reason"] and "120000" in out["reason"]
    assert out["text"] == narrative.template_summary(facts)


def test_llm_failure_falls_back_to_the_template(recs, monkeypatch):
    facts = _facts(recs)
    with FakeLLM([status(500)] * 3) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("SABOR_LLM_TIMEOUT", "5")
        out = narrative.executive_summary(facts)
    assert out["source"] == "template" and out["reason"].startswith("llm_error")


def test_number_check_normalises_formats():
    facts = {"a": "1,304", "b": "18.1%", "c": "−0.40", "m": "2024-03"}
    assert narrative.unsupported_numbers(
        "1.304? no: 1,304 comentarios, 18,1 %, 0.4 estrellas, marzo 2024", facts) == {"1.304"}
    assert narrative.unsupported_numbers("subió 3 puntos", facts) == set()   # 3 = the month of 2024-03
    assert narrative.unsupported_numbers("subió 7 puntos", facts) == {"7"}
