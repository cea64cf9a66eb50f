"""AppTest for the Resumen and Cargar pages: upload through the file uploader, read the report and charts."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from analysis.ingest import ingest_file
from tests.conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")
CARGAR = str(ROOT / "dashboard" / "views" / "cargar.py")


def _chart_data(at, i=0) -> dict:
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def test_empty_database_invites_to_load_data_instead_of_failing(db_path):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("Aún no hay comentarios" in i.value for i in at.info)
    at.button(key="load_demo_empty").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Comentarios" in labels
    n = int(at.metric[labels.index("Comentarios")].value.replace(".", ""))   # 13.442 in Spanish
    assert n >= 6000


def test_resumen_shows_kpis_and_monthly_chart_from_the_rows(store, real_dir):
    ingest_file(store, real_dir / "tripadvisor_sevilla_japanese_es.csv")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    kpi = {m.label: m.value for m in at.metric}
    assert kpi["Comentarios"] == "3.517"      # numbers in the Spanish way: 1.234,5
    avg = store.scalar("SELECT avg(rating) FROM feedback")
    assert kpi["Calificación media"] == f"{avg:.2f} ★".replace(".", ",")
    spec = _chart_data(at, 0)
    bars = spec["data"][0]
    assert bars["type"] == "bar" and len(bars["x"]) == store.scalar(
        "SELECT count(DISTINCT date_trunc('month', date)) FROM feedback WHERE date IS NOT NULL")


def test_english_switch(store, real_dir):
    ingest_file(store, real_dir / "amazon_fine_food_en.csv")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    kpi = {m.label: m.value for m in at.metric}
    n = store.feedback_count()
    assert kpi["Comments"] == f"{n:,}" and n >= 1000     # and in the English way: 1,234.5


def test_cargar_uploads_a_spanish_survey_and_reports(store):
    at = AppTest.from_file(CARGAR, default_timeout=60).run()
    data = ("ID Encuesta;Fecha de respuesta;Producto;Región;Comentario del cliente;Calificación (1-5)\n"
            "1;15/03/2024;Chicha morada;Lima;Muy dulce, le falta acidez;2\n"
            "2;16/03/2024;Chicha morada;Lima;;3\n"
            "3;17/03/2024;Chicha morada;Lima;Bravazo;5\n").encode()
    at.file_uploader(key="csv").set_value(("encuesta.csv", data, "text/csv")).run()
    assert not at.exception
    # The mapping is right without touching it.
    assert at.selectbox(key="map_csv_text").value == "Comentario del cliente"
    assert at.selectbox(key="map_csv_date").value == "Fecha de respuesta"
    at.button(key="load_csv").click().run()
    assert not at.exception
    kpi = {m.label: m.value for m in at.metric}
    assert (kpi["Filas leídas"], kpi["Cargadas"], kpi["Rechazadas"]) == ("3", "2", "1")
    assert any("texto vacío" in str(df.value) for df in at.dataframe)
    assert store.scalar("SELECT count(*) FROM feedback") == 2


def test_cargar_bad_file_shows_a_clear_error_and_loads_nothing(store):
    at = AppTest.from_file(CARGAR, default_timeout=60).run()
    at.file_uploader(key="csv").set_value(("foto.csv", bytes(range(256)) * 10, "text/csv")).run()
    assert not at.exception
    assert any("binarios" in e.value for e in at.error)
    assert store.scalar("SELECT count(*) FROM uploads") == 0


def test_cargar_mapping_editor_override(store):
    at = AppTest.from_file(CARGAR, default_timeout=60).run()
    data = "Nota,Comentario,Texto libre\n4,ok,El sabor está bravazo\n".encode()
    at.file_uploader(key="csv").set_value(("o.csv", data, "text/csv")).run()
    at.selectbox(key="map_csv_text").set_value("Texto libre").run()
    at.button(key="load_csv").click().run()
    assert not at.exception
    assert store.scalar("SELECT text FROM feedback") == "El sabor está bravazo"
