"""Safe exports: every CSV/XLSX the product writes goes through analysis.exports (no live formula), the
tables' own download is off where a neutralised button exists, and comment text in the HTML report is text
(no remote image, heading or link from user data)."""
from __future__ import annotations

import tomllib
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis.insight import report
from tests.conftest import ROOT

FORMULAS = ['=HYPERLINK("http://evil.example/x","clic")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
            "=1+1"]


class _StubAnalyzer:
    """Stands in for BERT: what is tested here is the writer, not the model."""
    version = "stub"

    def analyze(self, texts, batch_size=64):
        n = len(texts)
        attrs = [{"attribute": "dulce", "polarity": "negative", "score": 0.9, "evidence": "x"}]
        return SimpleNamespace(sentiment=np.array(["negative"] * n), score=np.full(n, -0.5),
                               stars=np.full(n, 2), attributes=[attrs] * n,
                               truncated=np.zeros(n, dtype=bool), probs=np.tile([0.7, 0.2, 0.1], (n, 1)),
                               foods=[[]] * n)


@pytest.fixture
def formula_file(tmp_path, monkeypatch):
    from analysis.ops import scoring

    monkeypatch.setattr(scoring, "get_analyzer", lambda: _StubAnalyzer())
    src = tmp_path / "entrada.csv"
    pd.DataFrame({"texto": FORMULAS, "producto": ["=2*3", "Chifles", "@A1", "+51 999", "ok"]}).to_csv(
        src, index=False)
    return src


def test_classify_csv_output_has_no_formula_cell(formula_file, tmp_path):
    from analysis.ops import scoring

    out = tmp_path / "salida.csv"
    scoring.classify_file(formula_file, "texto", out)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    for col in ("texto", "producto"):
        assert not got[col].str.startswith(("=", "+", "-", "@")).any(), got[col].tolist()
    assert got["texto"].iloc[0] == "'" + FORMULAS[0]     # the cell is kept, as text
    assert got["sentiment"].tolist() == ["negative"] * 5


def test_classify_xlsx_output_has_no_live_formula(formula_file, tmp_path):
    from analysis.ops import scoring

    out = tmp_path / "salida.xlsx"
    scoring.classify_file(formula_file, "texto", out)
    ws = openpyxl.load_workbook(out).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    assert ws["A2"].value == "'" + FORMULAS[0]


def test_streamlit_config_hides_the_tables_own_download_and_tracebacks():
    from streamlit.config import ShowErrorDetailsConfigOptions

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["client"]
    assert cfg["disableDataExport"] is True
    assert cfg["showErrorDetails"] == ShowErrorDetailsConfigOptions.NONE.value


MALICIOUS = ("![x](http://evil.example/p.png) # Encabezado falso\n## Otro encabezado\n"
             "[clic aquí](http://evil.example/phish) <img src=http://evil.example/q.png> **negrita**")


def test_comment_markdown_in_the_html_report_is_text(demo_truth_store):
    d = report.gather(demo_truth_store, with_charts=False)
    assert len(d.recs) and len(d.findings)
    d.recs = d.recs.copy()
    d.recs["verbatims"] = [[MALICIOUS, "normal"]] * len(d.recs)
    d.recs.loc[d.recs.index[0], "title"] = MALICIOUS
    d.findings = d.findings.copy()
    d.findings["verbatims"] = [[MALICIOUS]] * len(d.findings)
    d.segment_pair = (MALICIOUS, "Lima")
    d.summary = {"text": MALICIOUS, "source": "llm"}
    d.charts = {"contenido": b"\x89PNG fake"}      # the report's own image stays
    html = report.render(d, "html").decode()
    assert "http://evil.example" in html                 # the text is there, as text...
    assert '<img src="http' not in html and "<img src=http" not in html   # ...no remote image
    assert 'href="http://evil' not in html               # no link
    assert "Encabezado falso</h" not in html and "Otro encabezado</h" not in html   # no heading
    assert "<strong>negrita</strong>" not in html
    assert html.count("<img ") == 1 and '<img src="data:image/png;base64,' in html
    body = html.split("<body>", 1)[1]
    assert body.count("<h1>") == 1                       # the report's own title only


def test_a_remote_image_in_the_markdown_never_renders(demo_truth_store):
    """Even if user text reached the Markdown unescaped, only the report's own images render."""
    d = report.gather(demo_truth_store, with_charts=False)
    d.charts = {}
    html = report._html(d)
    assert "<img" not in html
    from markdown_it import MarkdownIt  # the renderer rule, directly

    assert "<img" in MarkdownIt("commonmark").render("![a](http://x/y.png)")


def test_report_tables_and_dashboard_downloads_use_the_neutraliser(demo_truth_store, tmp_path):
    from analysis.exports import safe_csv_bytes

    out = report.write_report(demo_truth_store, "md", tmp_path / "informe.md")
    tables = list(out.parent.glob("informe_*.csv"))
    assert tables and all(t.read_bytes().startswith(b"\xef\xbb\xbf") for t in tables)   # safe_csv_bytes
    common = (ROOT / "dashboard" / "common.py").read_text()
    assert "data=safe_csv_bytes(df)" in common
    assert safe_csv_bytes(pd.DataFrame({"a": ["=1+1"]})).decode("utf-8-sig").splitlines()[1] == "'=1+1"
    # every page with a table of results offers the neutralised button
    for page in ("preguntar", "resumen", "tendencias", "temas", "recomendaciones", "cargar"):
        assert "csv_download(" in (ROOT / "dashboard" / "views" / f"{page}.py").read_text(), page
