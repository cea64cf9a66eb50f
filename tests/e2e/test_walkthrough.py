"""The walkthrough: three journeys a new user takes, in a real browser, in Spanish and in English.

1. A strategist on the demo: Resumen → Tendencias → click a point → the comments → Recomendaciones →
   download the report; every other page visited too.
2. An analyst uploads a real shared file, waits for the scoring (the load report, then the progress, then
   "what this file changed"), and asks a question.
3. Pages visited while scoring is in progress say so, and never "no change" where the truth is "not yet".
   The scorer is slowed down by its test-only switches (SABOR_TEST_SCORE_BATCH/_PAUSE_S) so the state is
   reached deterministically, not by timing.

Every page and state is saved as a screenshot (1280×800; the main pages also 390 px wide, a phone) under
test-artifacts/walkthrough/ (gitignored). On every page: no exception, no word of the other language among
the visible texts of the interface (comments quoted from the data, tables and chart internals excluded).
"""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest import ingest_file
from analysis.store import Store
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-artifacts" / "walkthrough"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# Words that give the other language away (none of them is also a word of the page's language).
ENGLISH = {"the", "and", "with", "choose", "options", "upload", "browse", "drag", "drop", "file", "files",
           "comments", "comment", "trends", "overview", "topics", "analysis", "analysed", "analyse", "none",
           "change", "changes", "significant", "load", "rows", "loaded", "rejected", "per", "which", "what",
           "when", "this", "page", "show", "shows", "will", "yet", "not", "from", "by", "limit", "running",
           "ask", "question", "questions", "download", "report", "model", "alerts", "filters", "dates"}
SPANISH = {"los", "las", "del", "con", "comentarios", "comentario", "cargar", "datos", "tendencias",
           "temas", "según", "aún", "análisis", "elija", "opciones", "subir", "archivo", "filas", "ningún",
           "ninguno", "cambio", "cambios", "página", "cuando", "muestra", "mostrará", "preguntas", "sin",
           "para", "una", "límite", "arrastre", "informe", "descargar", "filtros", "fechas", "qué", "está"}

# Visible text of the interface: text nodes that are rendered, outside the data (quoted comments, code,
# tables drawn on canvas, chart internals, the values chosen in a multiselect, icon ligatures) and the
# bilingual language switch; plus the inputs' placeholders and every text drawn by CSS (the uploader's,
# the charts' tooltips shown on hover).
_VISIBLE_JS = """
() => {
  const skip = 'blockquote, pre, code, [data-testid="stCode"], .js-plotly-plot, [data-testid="stDataFrame"],'
    + '[data-baseweb="tag"], [data-testid="stChatMessage"] [data-testid="stChatMessageContent"] p,'
    + '[data-testid="stExpander"] [data-testid="stText"], [data-testid="stToolbar"],'
    + '[data-testid="stHeader"], [data-testid="stIconMaterial"]';
  const out = [];
  // the main block is stMain, or stAppScrollToBottomContainer on a page with a chat input (and stBottom)
  const roots = '[data-testid="stSidebar"], [data-testid="stMain"],'
    + '[data-testid="stAppScrollToBottomContainer"], [data-testid="stBottom"]';
  for (const root of document.querySelectorAll(roots)) {
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = w.nextNode())) {
      const el = n.parentElement;
      if (!el || el.closest(skip) || !n.textContent.trim()) continue;
      if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
      out.push(n.textContent.trim());
    }
    for (const el of root.querySelectorAll('input[placeholder], textarea[placeholder]')) {
      if (el.placeholder.trim()) out.push(el.placeholder.trim());
    }
    for (const el of root.querySelectorAll('*')) {
      if (el.closest('[data-testid="stIconMaterial"]')) continue;
      for (const pseudo of ['::before', '::after']) {
        const c = getComputedStyle(el, pseudo).content;
        if (c && c !== 'none' && c !== 'normal' && c.startsWith('"')) out.push(c.slice(1, -1));
      }
    }
  }
  return out;
}
"""
BILINGUAL = {"Idioma / Language", "Español", "English"}
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")     # SABOR_ALERT_EMAIL_FROM is a name, not words


class Walk:
    def __init__(self, page, url: str, name: str):
        self.page, self.url, self.name = page, url, name
        self.dir = SHOTS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.n = 0
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def settle(self) -> None:
        """Wait until Streamlit finished running the script (no 'running' indicator, no spinner)."""
        self.page.wait_for_timeout(400)
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
            " && !document.querySelector('[data-testid=\"stSpinner\"]')", timeout=180_000)
        self.page.wait_for_timeout(300)

    def _whole(self, size: dict, path: Path) -> None:
        """The whole page at `size`'s width: Streamlit scrolls inside its main block, not the document, so
        the window is made as tall as that block for the picture (at most 6000 px)."""
        self.page.set_viewport_size(size)
        self.page.wait_for_timeout(600)
        h = self.page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"], "
                               "[data-testid=\"stAppScrollToBottomContainer\"]');"
                               " return m ? m.scrollHeight : 0; }")
        self.page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(h, 6000))})
        self.page.wait_for_timeout(600)
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size(DESKTOP)
        self.page.wait_for_timeout(300)

    def shot(self, label: str, phone: bool = False) -> None:
        self.n += 1
        self._whole(DESKTOP, self.dir / f"{self.n:02d}_{label}.png")
        if phone:
            self._whole(PHONE, self.dir / f"{self.n:02d}_{label}_390.png")

    def check(self, lang: str) -> list[str]:
        """No exception on the page; no word of the other language in the interface's visible texts."""
        try:
            return self._check(lang)
        except AssertionError:
            self.page.screenshot(path=str(self.dir / f"FAILED_{self.n + 1:02d}.png"), full_page=True)
            raise

    def _check(self, lang: str) -> list[str]:
        exc = self.page.locator('[data-testid="stException"]')
        assert exc.count() == 0, exc.first.inner_text()
        assert not self.errors, self.errors
        texts = [t for t in self.page.evaluate(_VISIBLE_JS) if t not in BILINGUAL]
        words = {w.lower() for t in texts for w in re.findall(r"[^\W\d_]+", ENV_NAME.sub(" ", t))}
        foreign = words & (ENGLISH if lang == "es" else SPANISH)
        assert not foreign, (lang, sorted(foreign), [t for t in texts if set(
            w.lower() for w in re.findall(r"[^\W\d_]+", t)) & foreign][:10])
        return texts

    def check_until(self, lang: str, *fragments: str, tries: int = 8) -> list[str]:
        """`check`, read again (up to `tries` times, 0.7 s apart) until every fragment is among the visible
        texts: a page that redraws itself (the live notice, a rerun when a stage ends) is read between two
        redraws. Every reading is checked for the other language."""
        texts = self.check(lang)
        for _ in range(tries):
            if all(_texts_have(texts, f) for f in fragments):
                break
            self.page.wait_for_timeout(700)
            texts = self.check(lang)
        missing = [f for f in fragments if not _texts_have(texts, f)]
        if missing:
            self.page.screenshot(path=str(self.dir / f"FAILED_{self.n + 1:02d}.png"), full_page=True)
        assert not missing, (lang, missing)
        return texts

    def nav(self, title: str) -> None:
        """Through the sidebar, as a user does (the session, and so the language, is kept); waits for the
        page's own title, then for the script run to end."""
        self.page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        self.page.locator("h1", has_text=title).first.wait_for(timeout=120_000)
        self.settle()

    def set_lang(self, lang: str) -> None:
        self.page.locator('[data-testid="stSidebar"] [data-testid="stRadio"] label',
                          has_text="English" if lang == "en" else "Español").click()
        self.settle()


def _texts_have(texts: list[str], fragment: str) -> bool:
    return any(fragment in t for t in texts)


# -- journey 1: the strategist on the demo ---------------------------------------------------------------
PAGES = {"es": ["Resumen", "Tendencias", "Temas", "Recomendaciones", "Preguntar", "Cargar datos",
                "Alertas", "Modelo"],
         "en": ["Overview", "Trends", "Topics", "Recommendations", "Ask the data", "Load data", "Alerts",
                "Model"]}
WORDS = {"es": {"monthly": "Comentarios y calificación por mes", "behind": "Comentarios detrás de",
                "prepare": "Preparar informe", "download": "Descargar informe",
                "placeholder": "Elija opciones",
                "upload": "Subir archivo", "limit": "Límite 200 MB por archivo"},
         "en": {"monthly": "Comments and rating per month", "behind": "Comments behind",
                "prepare": "Prepare report", "download": "Download report", "placeholder": "Choose options",
                "upload": "Upload a file", "limit": "Limit 200 MB per file"}}


def _strategist(w: Walk, lang: str, tmp_path: Path) -> None:
    p, t = w.page, WORDS[lang]
    pages = PAGES[lang]
    w.nav(pages[0])
    p.get_by_text(t["monthly"]).first.wait_for()
    p.locator(".js-plotly-plot .bars path").first.wait_for()
    w.check_until(lang, t["placeholder"])                  # the sidebar filters, in the UI language
    w.shot(f"{lang}_resumen", phone=True)

    w.nav(pages[1])
    chart = p.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".scatterlayer .trace .points path").first.wait_for(timeout=120_000)
    w.check(lang)
    w.shot(f"{lang}_tendencias", phone=True)
    points = chart.locator(".scatterlayer .trace").first.locator(".points path")
    target = points.nth(points.count() - 1)
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    p.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    p.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    p.get_by_text(t["behind"], exact=False).first.wait_for()
    w.settle()
    w.check(lang)
    w.shot(f"{lang}_tendencias_comentarios")

    w.nav(pages[3])
    p.get_by_role("button", name=t["prepare"]).wait_for(timeout=120_000)
    w.check(lang)
    w.shot(f"{lang}_recomendaciones", phone=True)
    p.get_by_text("HTML", exact=True).click()
    w.settle()
    p.get_by_role("button", name=t["prepare"]).click()
    button = p.get_by_role("button", name=t["download"])
    button.wait_for(timeout=120_000)
    with p.expect_download(timeout=60_000) as info:
        button.click()
    target = tmp_path / f"{lang}_{info.value.suggested_filename}"
    info.value.save_as(target)
    html = target.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and len(html) > 5_000

    for title, label in zip(pages[2:], ["temas", "recomendaciones", "preguntar", "cargar", "alertas",
                                        "modelo"]):
        if label == "recomendaciones":
            continue
        w.nav(title)
        if label == "cargar":
            p.locator('[data-testid="stFileUploaderDropzone"] button').first.wait_for()
            w.settle()
        # the uploader's own texts, drawn over Streamlit's English ones
        w.check_until(lang, *([t["upload"], t["limit"]] if label == "cargar" else []))
        w.shot(f"{lang}_{label}", phone=label in ("cargar", "temas"))


def test_strategist_on_the_demo_in_both_languages(app_server, page, tmp_path, demo_truth_copy):
    url = app_server(demo_truth_copy)
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    page.get_by_text("Idioma / Language").wait_for(timeout=120_000)
    w = Walk(page, url, "strategist")
    w.settle()
    _strategist(w, "es", tmp_path)
    w.set_lang("en")
    _strategist(w, "en", tmp_path)


# -- journey 3: pages visited while scoring is in progress -----------------------------------------------
MID = {"es": {"progress": "Análisis en curso", "will": "Cuando termine, esta página mostrará",
              "not_yet": "Aún no analizado", "false_none": ["Ningún cambio supera", "Ninguno significativo"],
              "button": "Analizar"},
       "en": {"progress": "Analysis in progress", "will": "When it is done, this page will show",
              "not_yet": "Not analysed yet", "false_none": ["No change passes", "None significant"],
              "button": "Analyse"}}


def test_pages_visited_mid_scoring_say_so(app_server, page, tmp_path, real_dir):
    # the first 1,000 reviews of a real shared file, none scored: every page has data, and little to wait for
    src = pd.read_csv(real_dir / "tripadvisor_sevilla_japanese_es.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "tripadvisor_sevilla_1000.csv"
    src.head(1000).to_csv(path, index=False)
    db = tmp_path / "mid.duckdb"
    s = Store.open(db)
    ingest_file(s, path)
    s.close()
    # 2 comments a batch and a 3 s pause after each: minutes of scoring, the walk takes less
    url = app_server(db, {"SABOR_TEST_SCORE_BATCH": "2", "SABOR_TEST_SCORE_PAUSE_S": "3"})
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    page.get_by_text("Idioma / Language").wait_for(timeout=120_000)
    w = Walk(page, url, "mid_scoring")
    w.settle()
    m = MID["es"]
    # before: comments wait for the model, and the page offers to analyse them
    page.get_by_role("button", name=re.compile(m["button"])).first.wait_for()
    w.check("es")
    w.shot("es_resumen_pendiente")
    page.get_by_role("button", name=re.compile(m["button"])).first.click()
    page.get_by_text(m["progress"], exact=False).first.wait_for(timeout=60_000)
    for lang in ("es", "en"):
        m = MID[lang]
        if lang == "en":
            w.set_lang("en")
        # every page that reads model results in Spanish; in English the three that say "no change" most
        # (the other two cost minutes on 2 busy cores and were just checked in Spanish)
        for title, label in list(zip(PAGES[lang][:5], ["resumen", "tendencias", "temas", "recomendaciones",
                                                      "preguntar"]))[:5 if lang == "es" else 3]:
            w.nav(title)
            page.get_by_text(m["progress"], exact=False).first.wait_for(timeout=30_000)
            page.get_by_text(m["will"], exact=False).first.wait_for(timeout=30_000)
            if label == "tendencias":
                page.get_by_text(m["not_yet"], exact=False).first.wait_for(timeout=60_000)
            w.settle()
            texts = w.check_until(lang, m["progress"], m["will"],
                                  *([m["not_yet"]] if label == "tendencias" else []))
            for phrase in m["false_none"]:                 # never "no change" while it is "not yet"
                assert not _texts_have(texts, phrase), (lang, label, phrase)
            w.shot(f"{lang}_{label}_mid_scoring", phone=label == "tendencias")


# -- journey 2: the analyst uploads a real file, waits, asks -----------------------------------------------
def test_analyst_uploads_a_real_file_waits_for_scoring_and_asks(app_server, page, tmp_path, real_dir):
    # a real shared file, cut to its first 150 reviews so the wait for BERT fits a test on 2 shared cores
    src = pd.read_csv(real_dir / "tripadvisor_sevilla_japanese_es.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "tripadvisor_sevilla_150.csv"
    src.head(150).to_csv(path, index=False)
    url = app_server(tmp_path / "analyst.duckdb", {"SABOR_ANALYZE_ON_UPLOAD": "1"})
    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/cargar")
    page.get_by_text("Idioma / Language").wait_for(timeout=120_000)
    w = Walk(page, url, "analyst")
    w.settle()
    w.check("es")
    w.shot("es_cargar_vacio", phone=True)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(path))
    page.get_by_role("button", name="Cargar en la base de datos").click()
    loaded = re.compile(r"tripadvisor_sevilla_150\.csv: [\d.]+ filas cargadas")
    page.get_by_text(loaded).wait_for(timeout=120_000)
    page.get_by_text("Filas leídas").first.wait_for()
    # the load report, then the scoring progress (the model loads, then batches), then the summary
    page.get_by_text("Análisis en curso", exact=False).first.wait_for(timeout=60_000)
    w.check("es")
    w.shot("es_cargar_informe_y_progreso")
    deadline = time.time() + 240
    summary = page.get_by_text("Cambios que ahora son significativos", exact=False)
    while time.time() < deadline and summary.count() == 0:
        page.wait_for_timeout(2000)
    assert summary.count() == 1, "the 'what this file changed' summary did not appear"
    w.settle()
    page.locator(".js-plotly-plot .bars path").first.wait_for()   # new comments by month, drawn
    # the page reruns when the background job moves to topics and again when it ends: read until it settles
    w.check_until("es", "Qué cambió este archivo", "Cambios que ahora son significativos", "Ver Tendencias",
                  tries=60)
    w.shot("es_cargar_que_cambio", phone=True)

    w.nav("Preguntar")
    page.get_by_test_id("stChatInput").locator("textarea").fill("¿cuántos comentarios negativos hay?")
    page.get_by_test_id("stChatInput").locator("textarea").press("Enter")
    page.locator('[data-testid="stChatMessage"]').nth(1).wait_for(timeout=60_000)
    w.settle()
    w.check("es")
    # the answer's figure is labelled in the UI language (its SQL column is "comments")
    label = page.locator('[data-testid="stChatMessage"] [data-testid="stMetricLabel"]').last
    assert label.inner_text().strip() == "comentarios"
    w.shot("es_preguntar_respuesta")

    w.set_lang("en")
    w.nav("Ask the data")
    page.get_by_test_id("stChatInput").locator("textarea").fill("how many negative comments are there?")
    page.get_by_test_id("stChatInput").locator("textarea").press("Enter")
    page.locator('[data-testid="stChatMessage"]').nth(3).wait_for(timeout=60_000)
    w.settle()
    w.check("en")
    label = page.locator('[data-testid="stChatMessage"] [data-testid="stMetricLabel"]').last
    assert label.inner_text().strip() == "comments"
    w.shot("en_ask_answer")
