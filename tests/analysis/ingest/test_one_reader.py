"""One reader: `sabor classify` reads a user file exactly as `sabor ingest` does (same delimiter, encoding,
format and malformed-line rules), over every file of the ingest test corpus and the one-column files a
user exports from a form (a "comentario" header, comments that start with +, @, = or hold a comma)."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis.ingest import IngestError, ingest_bytes
from analysis.ingest.readers import read_table
from analysis.ops.scoring import _read_any as classify_reader
from tests.analysis.ingest.test_bad_files import CASES
from tests.analysis.ingest.test_feedback import SPANISH_SURVEY
from tests.conftest import ROOT

ONE_COLUMN = ("comentario\n+ muy rico el ceviche, volvería\n@restaurante el lomo salado otra vez\n"
              "=precio justo por la porción\nbuena atención, todo bien\n-no me gustó el postre\n"
              "+ la chicha morada bien helada\n")
ONE_COLUMN_NO_COMMA = ("comentario\n+ muy rico el ceviche volvería\n@restaurante el lomo salado otra vez\n"
                       "=precio justo por la porción\nopino que todo bien\n")

CORPUS = {**{k: (c.data, c.name, c.env) for k, c in CASES.items() if not c.market},
          "spanish survey": (SPANISH_SURVEY.encode(), "encuesta.csv", {}),
          "one column with commas": (ONE_COLUMN.encode(), "formulario.csv", {}),
          "one column, lines with o and signs": (ONE_COLUMN_NO_COMMA.encode(), "opiniones.csv", {}),
          "first data row one field wider": (
              "comentario,fecha\nrico, muy rico,01/02/2024\nsalado,02/02/2024\ndulce,03/02/2024\n".encode(),
              "ancho.csv", {})}


@pytest.mark.parametrize("kind", list(CORPUS))
def test_classify_reads_every_corpus_file_as_ingest_does(store, tmp_path, monkeypatch, kind):
    data, name, env = CORPUS[kind]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    path = tmp_path / name
    path.write_bytes(data)
    try:
        rep = ingest_bytes(store, data, name)
    except IngestError as e:
        with pytest.raises(ValueError) as exc:        # classify refuses it with the same one line
            classify_reader(path)
        assert str(exc.value) == str(e)
        return
    df = classify_reader(path)
    raw = read_table(data, name)
    pd.testing.assert_frame_equal(df.reset_index(drop=True), raw.df.reset_index(drop=True))
    # what classify scores = every record ingest read, less the lines ingest rejected as malformed
    malformed = rep.rejected_by_reason.get("malformed_line", 0)
    assert len(df) == rep.rows_read - malformed
    text_col = rep.mapping["text"]
    loaded = set(store.query("SELECT text FROM feedback")["text"])
    assert loaded <= set(df[text_col].astype(str).str.strip())


def test_one_column_file_keeps_signs_and_commas_in_the_comment(store):
    rep = ingest_bytes(store, ONE_COLUMN.encode(), "formulario.csv")
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (6, 6, 0)
    texts = store.query("SELECT text FROM feedback ORDER BY text")["text"].tolist()
    assert "buena atención, todo bien" in texts and "+ muy rico el ceviche, volvería" in texts
    assert "=precio justo por la porción" in texts     # stored as text; neutralised only in exports


def test_a_first_row_one_field_wider_is_a_malformed_line_not_a_shifted_table(store):
    data, name, _ = CORPUS["first data row one field wider"]
    rep = ingest_bytes(store, data, name)
    assert rep.rows_loaded == 2 and rep.rejected_by_reason == {"malformed_line": 1}
    assert sorted(store.query("SELECT text FROM feedback")["text"]) == ["dulce", "salado"]


@pytest.mark.slow
def test_sabor_classify_and_sabor_ingest_read_the_one_column_file_the_same(tmp_path):
    src = tmp_path / "formulario.csv"
    src.write_text(ONE_COLUMN, encoding="utf-8")
    out = tmp_path / "salida.csv"
    db = tmp_path / "c.duckdb"
    run = dict(cwd=ROOT, capture_output=True, text=True, timeout=600)
    ing = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), "ingest", str(src),
                          "--format", "json"], **run)
    assert ing.returncode == 0, ing.stderr
    assert json.loads(ing.stdout)["rows_loaded"] == 6
    cls = subprocess.run([sys.executable, "-m", "analysis.cli", "classify", "--input", str(src),
                          "--text-column", "comentario", "--output", str(out)], **run)
    assert cls.returncode == 0, cls.stderr
    res = pd.read_csv(out, dtype=str, keep_default_na=False)
    # the exported cells are neutralised (a leading ' before +, @, =), the comments themselves whole
    assert [t.lstrip("'") for t in res["comentario"]] == ONE_COLUMN.strip().split("\n")[1:]
    assert res["sentiment"].isin(["negative", "neutral", "positive"]).all()
