"""Ingestion: real files load with no manual mapping; bad files are refused clearly and change nothing."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from analysis.ingest import IngestError, ingest_bytes, ingest_file
from analysis.store import Store

TABLES = ("feedback", "uploads", "rejected_rows", "market_trends")


def snapshot(store: Store) -> dict:
    counts = {t: store.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}
    counts["uploads_rows"] = store.query("SELECT * FROM uploads ORDER BY upload_id").to_dict("records")
    return counts


# ---- the real public datasets ---------------------------------------------------------------
@pytest.mark.parametrize("name, loaded, rejected, dmin, dmax, mapping", [
    # 229 rows have neither text nor title (README); 76 have "NA" dates -> loaded without date.
    ("tripadvisor_sevilla_japanese_es.csv", 3517, {"empty_text": 229}, "2008-05-11", "2019-05-28",
     {"text": "text", "date": "review_date", "rating": "review_rating", "product": "restaurant_name"}),
    # 15 exact repeats (same text, date and place); the year "2108" typo is rejected as out of range.
    ("restmex2021_guanajuato_es.csv", 5181, {"invalid_date": 1}, "2008-05-07", "2018-07-19",
     {"text": "Opinion", "date": "Date", "rating": "Label", "product": "Place"}),
    # unix seconds; 10 rows repeat text+date+product exactly.
    ("amazon_fine_food_en.csv", 7557, {}, "2000-06-23", "2012-10-26",
     {"text": "Text", "date": "Time", "rating": "Score", "product": "ProductId"}),
])
def test_real_review_files_ingest_without_manual_mapping(store, real_dir, name, loaded, rejected, dmin, dmax,
                                                         mapping):
    rep = ingest_file(store, real_dir / name)
    assert rep.rows_loaded == loaded
    assert rep.rejected_by_reason == rejected
    assert rep.rows_read == rep.rows_loaded + rep.rows_rejected + rep.rows_duplicate
    assert (rep.date_min, rep.date_max) == (dmin, dmax)
    for canon, header in mapping.items():
        assert rep.mapping[canon] == header
    assert store.scalar("SELECT count(*) FROM feedback") == loaded
    # Nothing silently dropped: every rejected row is kept with its raw content.
    assert store.scalar("SELECT count(*) FROM rejected_rows") == sum(rejected.values())


def test_real_file_details(store, real_dir):
    rep = ingest_file(store, real_dir / "restmex2021_guanajuato_es.csv")
    assert rep.ambiguous_dates > 0  # e.g. 05/07/2018 read as 5 July
    assert any("solo el año" in w for w in rep.warnings)
    # Literal quotes wrapped around every opinion are removed.
    first = store.scalar("SELECT text FROM feedback WHERE source_id = '1'")
    assert first.startswith("Las momias") and not first.startswith('"')
    # Day-first: "05/07/2018"-style dates become 5 July.
    assert store.scalar("SELECT count(*) FROM feedback WHERE month(date) > 12") == 0
    rep2 = ingest_file(store, real_dir / "tripadvisor_sevilla_japanese_es.csv")
    assert rep2.encoding == "utf-8-sig"
    amazon = ingest_file(store, real_dir / "amazon_fine_food_en.csv")
    assert amazon.rows_loaded == 7557
    # No id collisions across files: all three coexist.
    assert store.scalar("SELECT count(*) FROM feedback") == 5181 + 3517 + 7557
    assert store.scalar("SELECT count(*) FROM feedback WHERE text LIKE '%<br%'") == 0
    langs = dict(store.query("SELECT upload_id, mode(lang) AS l FROM feedback GROUP BY 1").values)
    assert sorted(langs.values()) == ["en", "es", "es"]


def test_reloading_a_file_loads_nothing_twice(store, real_dir):
    first = ingest_file(store, real_dir / "amazon_fine_food_en.csv")
    before = snapshot(store)
    again = ingest_file(store, real_dir / "amazon_fine_food_en.csv")
    assert again.rows_loaded == 0 and again.already_loaded["upload_id"] == first.upload_id
    assert again.duplicates_in_db == first.rows_loaded
    assert again.rows_read == again.rows_loaded + again.rows_rejected + again.rows_duplicate
    day = store.scalar("SELECT strftime(loaded_at, '%Y-%m-%d %H:%M') FROM uploads")
    assert again.already_text() == (f"ya cargado el {day} (carga 1, amazon_fine_food_en.csv): "
                                    f"no se cambió nada")
    assert f"already loaded on {day} (upload 1" in again.to_text("en")
    assert snapshot(store) == before            # not even an uploads row


def test_a_reload_answers_without_reading_the_file(store, tmp_path):
    """The same bytes are answered from the uploads table: a small fraction of the first load's time (the
    bench shows < 1 s for 1M rows; here a ratio, so that a busy machine cannot fail it)."""
    import time

    rows = 60_000
    df = pd.DataFrame({"Comentario": [f"El ají de la causa {i} estaba muy picante" for i in range(rows)],
                       "Fecha": ["15/03/2025"] * rows, "Producto": ["Causa"] * rows})
    path = tmp_path / "encuesta.csv"
    df.to_csv(path, index=False)
    t = time.perf_counter()
    first = ingest_file(store, path)
    t_first = time.perf_counter() - t
    before = snapshot(store)
    t = time.perf_counter()
    again = ingest_file(store, path)
    t_again = time.perf_counter() - t
    assert first.rows_loaded == rows and again.already_loaded and again.rows_loaded == 0
    assert snapshot(store) == before
    assert t_again < t_first / 5 and t_again < 3.0


def test_sabor_ingest_of_a_loaded_file_is_a_light_process(tmp_path):
    """`sabor ingest` of bytes already loaded answers from the uploads table without importing pandas,
    pyarrow or numpy (most of a process's start-up: ~0.3 s instead of ~1 s of CPU), and says so."""
    import subprocess
    import sys

    path = tmp_path / "encuesta.csv"
    path.write_text("Comentario,Fecha\nMuy rica la causa,15/03/2025\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    probe = ("import sys, runpy; sys.argv = ['sabor', 'ingest', sys.argv[1], '--db', sys.argv[2]]\n"
             "try:\n    runpy.run_module('analysis.cli', run_name='__main__')\n"
             "except SystemExit as e:\n    code = e.code\n"
             "heavy = sorted(m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules)\n"
             "print('HEAVY=' + ','.join(heavy))\nsys.exit(code)\n")
    runs = [subprocess.run([sys.executable, "-c", probe, str(path), str(db)], capture_output=True, text=True,
                           timeout=120) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr
    assert "HEAVY=numpy,pandas,pyarrow" in runs[0].stdout        # the first load reads the file
    assert "ya cargado el" in runs[1].stdout and "HEAVY=\n" in runs[1].stdout, runs[1].stdout


def test_a_longer_export_loads_only_its_new_rows(store, tmp_path):
    base = pd.DataFrame({"Comentario": [f"La chicha morada {i} vino muy dulce" for i in range(500)],
                         "Fecha": ["15/03/2025"] * 500})
    (tmp_path / "enero.csv").write_text(base.to_csv(index=False), encoding="utf-8")
    longer = pd.concat([base, pd.DataFrame({"Comentario": ["Nuevo: el pisco sour llegó sin espuma",
                                                           "Nuevo: la papa a la huancaína, sabrosa"],
                                            "Fecha": ["16/03/2025", "17/03/2025"]})])
    (tmp_path / "enero_b.csv").write_text(longer.to_csv(index=False), encoding="utf-8")
    assert ingest_file(store, tmp_path / "enero.csv").rows_loaded == 500
    rep = ingest_file(store, tmp_path / "enero_b.csv")
    assert rep.already_loaded is None
    assert rep.rows_loaded == 2 and rep.duplicates_in_db == 500
    assert sorted(store.query("SELECT text FROM feedback WHERE upload_id = ?", [rep.upload_id])["text"]) == [
        "Nuevo: el pisco sour llegó sin espuma", "Nuevo: la papa a la huancaína, sabrosa"]


def test_a_deleted_load_can_be_loaded_again(store, tmp_path):
    from analysis.store import delete_upload

    path = tmp_path / "x.csv"
    path.write_text("Comentario,Fecha\nMuy rico el lomo saltado,15/03/2025\n", encoding="utf-8")
    first = ingest_file(store, path)
    delete_upload(store, first.upload_id)
    again = ingest_file(store, path)
    assert again.already_loaded is None and again.rows_loaded == 1


@pytest.mark.parametrize("name, values, months, regions", [
    # 11 varieties x 120 months x 4 metrics, minus 165 empty price cells (Perricholi from 2020-06).
    ("lima_wholesale_potato_monthly_sisap.csv", 11 * 120 * 4 - 165, 120, 0),
    ("peru_crops_department_monthly_cropdatape.csv", None, None, 24),
])
def test_real_market_files_ingest(store, real_dir, name, values, months, regions):
    rep = ingest_file(store, real_dir / "market" / name, kind="market")
    assert rep.rows_loaded > 0
    if values is not None:
        assert rep.rows_loaded == values
    got_months, got_regions = store.cursor().execute(
        "SELECT count(DISTINCT date), count(DISTINCT region) FROM market_trends").fetchone()
    if months:
        assert got_months == months
        assert (rep.date_min, rep.date_max) == ("2015-01-01", "2024-12-01")
    assert got_regions == regions
    if "cropdatape" in name:
        assert (rep.date_min, rep.date_max) == ("2004-08-01", "2014-07-01")
        # 81 keys repeat in the source: identical repeats are duplicates, differing ones are rejected.
        assert rep.duplicates_in_file + rep.rejected_by_reason.get("repeated_key", 0) > 0
        quinoa = store.scalar("SELECT count(*) FROM market_trends "
                              "WHERE product = 'quinoa' AND metric = 'pricePlot'")
        assert quinoa > 100


def test_market_long_layout_and_spanish_numbers(store):
    csv = ("Mes;Producto;Región;Métrica;Valor\n"
           "ene-2024;Chicha morada;Lima;ventas;1.234,5\n"
           "feb-2024;Chicha morada;Lima;ventas;1.300,0\n"
           "feb-2024;Chicha morada;Lima;búsquedas;NA\n").encode()
    rep = ingest_bytes(store, csv, "m.csv", kind="market")
    assert rep.rows_loaded == 2
    vals = store.query("SELECT date, value FROM market_trends ORDER BY date")
    assert vals["value"].tolist() == [1234.5, 1300.0]
    assert str(vals["date"].iloc[0])[:10] == "2024-01-01"


# ---- formats, encodings, headers ------------------------------------------------------------
SPANISH_SURVEY = (
    "ID Encuesta;Fecha de respuesta;Producto;Región;Canal de compra;Comentario del cliente;"
    "Calificación (1-5)\n"
    "1;15/03/2024;Chicha morada;Lima;Bodega;Muy dulce, le falta acidez;2\n"
    "2;03/04/2024;Chicha morada;Arequipa;Supermercado;Bravazo el sabor, causa;5\n"
    "3;15 de marzo de 2024;Salsa de ají;Cusco;Bodega;Picante rico;4/5\n"
    "4;mar-2024;Salsa de ají;Cusco;Bodega;Le falta picante;★★☆☆☆\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_spanish_headers_any_encoding_no_mojibake(store, encoding):
    text = SPANISH_SURVEY if encoding != "cp1252" else SPANISH_SURVEY.replace("★★☆☆☆", "2 estrellas")
    rep = ingest_bytes(store, text.encode(encoding), "encuesta.csv")
    assert rep.rows_loaded == 4 and rep.rows_rejected == 0
    assert set(rep.mapping) >= {"feedback_id", "date", "product", "region", "channel", "text", "rating"}
    df = store.query("SELECT source_id, date, rating, region, text FROM feedback ORDER BY source_id")
    assert df["region"].tolist()[:2] == ["Lima", "Arequipa"]
    assert "ají" in store.scalar("SELECT product FROM feedback WHERE source_id = '3'")
    assert [str(d)[:10] for d in df["date"]] == ["2024-03-15", "2024-04-03", "2024-03-15", "2024-03-01"]
    assert df["rating"].tolist() == [2.0, 5.0, 4.0, 2.0]


def test_mixed_encodings_lines_are_each_decoded(store):
    data = ("comentario,fecha\nMuy rico el ají,01/02/2024\n".encode()
            + "Demasiado dulce qué pena,02/02/2024\n".encode("cp1252"))
    rep = ingest_bytes(store, data, "mixto.csv")
    assert rep.rows_loaded == 2
    assert "mixed" in rep.encoding
    texts = set(store.query("SELECT text FROM feedback")["text"])
    assert texts == {"Muy rico el ají", "Demasiado dulce qué pena"}


def test_malformed_lines_are_rejected_with_their_line_and_kept(store):
    data = "comentario,fecha\nrico,01/02/2024\nmalo, muy malo,02/02/2024\nbueno,03/02/2024\n"
    rep = ingest_bytes(store, data.encode(), "roto.csv")
    assert rep.rows_loaded == 2 and rep.rejected_by_reason == {"malformed_line": 1}
    row = store.query("SELECT source_row, raw FROM rejected_rows")
    assert row["source_row"].iloc[0] == 3 and "muy malo" in row["raw"].iloc[0]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(store, sep):
    data = (f"review{sep}date{sep}score\n"
            f"Great spicy sauce{sep}2024-01-05{sep}5\nToo salty{sep}2024-01-06{sep}2\n")
    rep = ingest_bytes(store, data.encode(), "r.csv")
    assert rep.rows_loaded == 2 and rep.delimiter == sep


def test_xlsx_json_jsonl_parquet(store, tmp_path):
    df = pd.DataFrame({"Opinión": ["Rico y crocante", "Muy caro para la porción", "Sabe a viejo"],
                       "Fecha": pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-03"]),
                       "Puntuación": [5, 2, 1], "Departamento": ["Piura", "Lima", "Loreto"]})
    xbuf = io.BytesIO()
    # Exports often put a title row above the table.
    with pd.ExcelWriter(xbuf) as w:
        pd.DataFrame([["Encuesta mayo"]]).to_excel(w, index=False, header=False, startrow=0)
        df.to_excel(w, index=False, startrow=2)
    rep = ingest_bytes(store, xbuf.getvalue(), "encuesta.xlsx")
    assert rep.rows_loaded == 3 and rep.mapping["region"] == "Departamento"
    assert store.scalar("SELECT min(date) FROM feedback").isoformat() == "2024-05-01"

    recs = [{"review": {"text": f"Nice snack {i}", "stars": 4}, "date": "2024-06-0%d" % (i + 1)}
            for i in range(3)]
    rep = ingest_bytes(store, json.dumps({"data": recs}).encode(), "r.json")
    assert rep.rows_loaded == 3 and rep.mapping["text"] == "review.text"
    jl = "\n".join(json.dumps({"comment": f"Muy salado {i}", "fecha": "01/07/2024"}) for i in range(4))
    assert ingest_bytes(store, jl.encode(), "r.jsonl").rows_loaded == 4
    pbuf = io.BytesIO()
    pd.DataFrame({"text": ["Parquet comment one", "Parquet comment two"],
                  "date": ["2024-08-01", "2024-08-02"]}
                 ).to_parquet(pbuf)
    assert ingest_bytes(store, pbuf.getvalue(), "r.parquet").rows_loaded == 2


def test_ratings_on_a_ten_point_scale_are_normalised_and_reported(store):
    data = "comentario,nota\nexcelente,10\nregular,6\nmalo,2\nbueno,8\n"
    rep = ingest_bytes(store, data.encode(), "n.csv")
    assert rep.rating_scale == "1-10"
    assert "1-10" in rep.to_text()
    r = dict(store.query("SELECT text, rating FROM feedback").values)
    assert r["excelente"] == 5.0 and r["bueno"] == 4.0 and r["malo"] == 1.0


def test_user_mapping_override(store):
    data = "Nota,Texto libre,Comentario\n4,El sabor está bravazo,ok\n"
    rep = ingest_bytes(store, data.encode(), "o.csv", overrides={"text": "Texto libre"})
    assert rep.mapping["text"] == "Texto libre" and rep.mapping_source["text"] == "user"
    assert store.scalar("SELECT text FROM feedback") == "El sabor está bravazo"


def test_duplicates_within_file_are_skipped_and_counted(store):
    data = ("comentario,fecha,producto\n"
            "Muy dulce,01/02/2024,Chicha\n"
            "  muy   DULCE ,01/02/2024,chicha\n"   # same normalised text, date and product
            "Muy dulce,02/02/2024,Chicha\n")      # another day: a different comment
    rep = ingest_bytes(store, data.encode(), "d.csv")
    assert (rep.rows_loaded, rep.duplicates_in_file) == (2, 1)


def test_formula_cells_are_stored_as_text_and_neutralised_in_exports(store):
    from analysis.exports import safe_csv_bytes, safe_xlsx_bytes

    data = ('comentario,producto\n"=HYPERLINK(""http://x"",""clic"")",=1+1\n'
            '+51 999 rico,@SUM(A1)\n-2 soles caro,Chifles\n')
    rep = ingest_bytes(store, data.encode(), "f.csv")
    assert rep.rows_loaded == 3
    texts = store.query("SELECT text, product FROM feedback ORDER BY text")
    assert texts["text"].tolist()[0].startswith("+51")          # stored exactly as written
    assert '=HYPERLINK("http://x","clic")' in texts["text"].tolist()
    out = safe_csv_bytes(texts).decode("utf-8-sig")
    for line in out.splitlines()[1:]:
        assert not line.lstrip('"').startswith(("=", "+", "-", "@"))
    assert "'=HYPERLINK" in out and "'@SUM" in out and "'+51" in out
    back = pd.read_excel(io.BytesIO(safe_xlsx_bytes(texts)))
    assert all(str(v).startswith("'") for v in back["product"] if str(v)[0] in "=@")


# ---- bad input: clear message, database unchanged -------------------------------------------
def _bad_cases(tmp_path):
    return {
        "empty": (b"", "vacio.csv", "vacío"),
        "header only": (b"comentario,fecha\n", "solo.csv", "solo tiene encabezados"),
        "binary renamed": (bytes(range(256)) * 40, "foto.csv", "binarios"),
        "unsupported": (b"hola", "datos.docx", "no soportado"),
        "no text column": (b"a,b,c\n1,2,3\n4,5,6\n", "nums.csv", "no se encontró la columna de comentarios"),
        "every date invalid": (b"comentario,fecha\nrico,hola\nmalo,ayer\n", "f.csv", "ninguna fecha"),
        "corrupt xlsx": (b"PK\x03\x04garbage" * 10, "x.xlsx", "Excel"),
        "invalid json": (b'[{"text": "a",}', "x.json", "JSON inválido"),
    }


@pytest.mark.parametrize("case", ["empty", "header only", "binary renamed", "unsupported", "no text column",
                                  "every date invalid", "corrupt xlsx", "invalid json"])
def test_bad_files_are_refused_with_a_clear_message_and_nothing_changes(store, tmp_path, case):
    ingest_bytes(store, SPANISH_SURVEY.encode(), "previo.csv")  # some existing data that must survive
    before = snapshot(store)
    data, name, message = _bad_cases(tmp_path)[case]
    with pytest.raises(IngestError) as exc:
        ingest_bytes(store, data, name)
    assert message in str(exc.value)
    assert name in str(exc.value)
    assert snapshot(store) == before


def test_no_text_column_message_lists_headers_and_synonyms(store):
    with pytest.raises(IngestError) as exc:
        ingest_bytes(store, b"codigo,monto\n1,2\n", "ventas.csv")
    msg = str(exc.value)
    assert "codigo, monto" in msg and "comentario" in msg and "review" in msg and "--map" in msg


def test_file_over_the_size_limit(store, tmp_path, monkeypatch):
    monkeypatch.setenv("SABOR_MAX_UPLOAD_MB", "0.001")
    before = snapshot(store)
    p = tmp_path / "grande.csv"
    p.write_text("comentario\n" + "rico\n" * 500)
    with pytest.raises(IngestError, match="límite"):
        ingest_file(store, p)
    assert snapshot(store) == before


def test_a_50000_character_row_is_rejected_with_its_reason_and_the_rest_loads(store):
    long_text = "muy rico " * 5600  # > 50,000 characters
    data = f"comentario,fecha\n{long_text},01/01/2024\nrico,02/01/2024\n".encode()
    rep = ingest_bytes(store, data, "largo.csv")
    assert rep.rows_loaded == 1
    assert rep.rejected_by_reason == {"text_too_long": 1}
    raw = json.loads(store.scalar("SELECT raw FROM rejected_rows"))
    # The row is kept, its huge cell cut to SABOR_MAX_REJECTED_CELL_CHARS with its length said.
    assert raw["comentario"].startswith("muy rico muy rico") and "50,400 caracteres" in raw["comentario"]
    assert len(raw["comentario"]) < 2100 and raw["fecha"] == "01/01/2024"


def test_failure_in_the_middle_of_a_load_rolls_everything_back(store, monkeypatch):
    ingest_bytes(store, SPANISH_SURVEY.encode(), "previo.csv")
    before = snapshot(store)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Store, "_record_upload", staticmethod(boom))
    data = b"comentario,fecha\nnuevo comentario,01/01/2024\n"
    with pytest.raises(RuntimeError):
        ingest_bytes(store, data, "nuevo.csv")
    assert snapshot(store) == before


@pytest.mark.parametrize("name", ["tripadvisor_sevilla_japanese_es.csv", "restmex2021_guanajuato_es.csv",
                                  "amazon_fine_food_en.csv"])
def test_fast_arrow_reader_reads_exactly_what_the_careful_reader_reads(real_dir, name):
    """Large files go through Arrow's multithreaded reader; on the real files' quirks (BOM, quotes wrapped
    in quotes, newlines inside values, empty cells) it must give the same cells as pandas."""
    from analysis.ingest.readers import _read_arrow, decode_text

    text, _, _ = decode_text((real_dir / name).read_bytes())
    fast = _read_arrow(text, ",")
    careful = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    assert fast is not None
    assert list(fast.columns) == list(careful.columns)
    assert fast.shape == careful.shape
    assert (fast.astype(str).to_numpy() == careful.astype(str).to_numpy()).all()


def test_fast_reader_steps_aside_for_malformed_rows():
    from analysis.ingest.readers import _read_arrow

    assert _read_arrow("a,b\n1,2\n3,4,5\n", ",") is None        # the careful path reports the bad line
    assert _read_arrow("a,a\n1,2\n", ",") is None               # repeated headers are renamed there


def test_text_hash_ignores_case_and_whitespace_and_is_stable(store, tmp_path):
    """The hash the prediction cache and de-duplication key on: databases loaded by earlier versions must
    keep matching, so it is pinned to md5(lower(text without spaces, tabs and line breaks))."""
    import hashlib

    path = tmp_path / "h.csv"
    pd.DataFrame({"Comentario": ["Muy RICO\tel  Ají de Gallina", "muy rico el ají\nde gallina ÑANDÚ"],
                  "Fecha": ["15/03/2025", "16/03/2025"]}).to_csv(path, index=False)
    ingest_file(store, path)
    got = dict(store.query("SELECT text, text_hash FROM feedback").values)
    for text, h in got.items():
        want = hashlib.md5("".join(text.split()).lower().encode()).hexdigest()
        assert h == want
