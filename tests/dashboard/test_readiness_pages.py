"""AppTest: a page visited while comments wait for the model says so, and never 'no change'."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.ingest import ingest_bytes
from analysis.ops import jobs
from analysis.ops.jobs import JobState
from analysis.store import Store
from tests.conftest import ROOT

VIEWS = ROOT / "dashboard" / "views"


def _texts(at) -> list[str]:
    return ([e.value for e in at.info] + [e.value for e in at.warning] + [e.value for e in at.success]
            + [e.value for e in at.caption] + [e.value for e in at.markdown])


@pytest.fixture
def half_scored(store):
    """400 dated comments over 8 months, the first 100 scored."""
    rows = "".join(f"comentario {i} sobre el ceviche,{1 + i % 28:02d}/{1 + i % 8:02d}/2025\n"
                   for i in range(400))
    ingest_bytes(store, ("comentario,fecha\n" + rows).encode(), "r.csv")
    ids = store.query("SELECT feedback_id FROM feedback ORDER BY feedback_id LIMIT 100")["feedback_id"]
    with store.transaction() as cur:
        Store.append(cur, "predictions", pd.DataFrame({"feedback_id": ids, "model_version": "t",
                                                       "sentiment": "positive",
                                                       "created_at": pd.Timestamp("2026-01-01")}))
    return store


@pytest.mark.parametrize("page", ["tendencias.py", "recomendaciones.py", "temas.py", "resumen.py"])
def test_a_page_visited_while_scoring_shows_progress_and_never_no_change(half_scored, monkeypatch, page):
    monkeypatch.setattr(jobs, "_state", JobState(running=True, done=40, total=300, started=1.0))
    at = AppTest.from_file(str(VIEWS / page), default_timeout=90).run()
    assert not at.exception, at.exception
    progress = [p.proto.text for p in at.get("progress")]
    assert any("Análisis en curso: 100 de 400 comentarios analizados (25 %)" in t for t in progress), progress
    texts = _texts(at)
    assert any("Cuando termine, esta página mostrará" in t for t in texts)
    for false_none in ("Ningún cambio supera", "Ninguno significativo", "Sin cambios significativos"):
        assert not any(false_none in t for t in texts), (page, false_none)
    if page == "tendencias.py":
        assert any(t.startswith("Aún no analizado: faltan 300 de 400") for t in texts), texts


def test_pending_without_a_job_offers_to_analyse_in_english(half_scored, monkeypatch):
    monkeypatch.setattr(jobs, "_state", JobState())
    at = AppTest.from_file(str(VIEWS / "tendencias.py"), default_timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, at.exception
    assert any("300 of 400 comments have no sentiment" in w.value for w in at.warning)
    assert any(b.label == "Analyse 300 comments with BERT" for b in at.button)
    assert any(w.value.startswith("Not analysed yet: 300 of 400 comments") for w in at.warning)
