"""The `sabor` command line: same functions as the UI, exit 2 with one line on bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sabor(*args, db: Path):
    return subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_ingest_prints_a_load_report_and_json(tmp_path, real_dir):
    db = tmp_path / "c.duckdb"
    r = sabor("ingest", str(real_dir / "tripadvisor_sevilla_japanese_es.csv"), db=db)
    assert r.returncode == 0, r.stderr
    assert "Filas cargadas: 3,517" in r.stdout and "texto vacío: 229" in r.stdout
    r = sabor("ingest", str(real_dir / "tripadvisor_sevilla_japanese_es.csv"), "--format", "json", db=db)
    rep = json.loads(r.stdout)
    assert rep["rows_loaded"] == 0 and rep["duplicates_in_db"] == 3517


def test_ingest_market_and_map_override(tmp_path, real_dir):
    db = tmp_path / "c.duckdb"
    r = sabor("ingest", "--market", str(real_dir / "market" / "lima_wholesale_potato_monthly_sisap.csv"),
              db=db)
    assert r.returncode == 0, r.stderr
    f = tmp_path / "x.csv"
    f.write_text("Nota,Observación del encuestador,Texto libre\n4,nada,Buenazo el chifle\n", encoding="utf-8")
    r = sabor("ingest", str(f), "--map", "text=Texto libre", "--format", "json", db=db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["mapping"]["text"] == "Texto libre"


def test_bad_input_exits_2_with_one_line(tmp_path):
    db = tmp_path / "c.duckdb"
    f = tmp_path / "vacio.csv"
    f.write_bytes(b"")
    for args in (["ingest", str(f)], ["ingest", str(tmp_path / "no-existe.csv")],
                 ["ingest", str(f), "--map", "textoComentario"]):
        r = sabor(*args, db=db)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "sabor: error:" in r.stderr
        assert "Traceback" not in r.stderr


def test_demo_loads_once(tmp_path):
    db = tmp_path / "c.duckdb"
    r = sabor("demo", db=db)
    assert r.returncode == 0, r.stderr
    assert "Filas cargadas" in r.stdout
    r2 = sabor("demo", db=db)
    assert r2.returncode == 0 and r2.stdout.strip() == ""
