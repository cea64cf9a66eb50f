"""`sabor analyze --engine ray`: a local 2-worker Ray gives exactly the local engine's predictions, and a
stopped run resumes without scoring anything twice."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from analysis.ops import metrics
from analysis.store import Store

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _sample_csv(tmp_path: Path, n: int) -> Path:
    """`n` distinct comments of the demo survey, with their columns, as a user's export."""
    df = pd.read_csv(ROOT / "data" / "demo_feedback.csv", dtype=str)
    path = tmp_path / f"encuesta_{n}.csv"
    df.drop_duplicates("Comentario del cliente").head(n).to_csv(path, index=False)
    return path


def _loaded(path: Path, csv: Path) -> Store:
    from analysis.ingest import ingest_file

    s = Store.open(path)
    assert ingest_file(s, csv).rows_loaded > 0
    return s


def _ray_env() -> dict:
    return dict(os.environ, RAY_USAGE_STATS_ENABLED="0", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def test_ray_engine_scores_exactly_as_the_local_engine(tmp_path):
    from analysis.ops.scoring import analyze

    csv = _sample_csv(tmp_path, 300)
    local = _loaded(tmp_path / "local.duckdb", csv)
    res_local = analyze(local)
    assert res_local["scored"] == 300
    local.close()
    ray_db = tmp_path / "ray.duckdb"
    _loaded(ray_db, csv).close()

    # the actors run the encoder path this process ran (torch bf16 and ONNX fp32 may round a star apart)
    from models.runtime import LOADED

    enc = LOADED["encoder"]
    same_path = {"SABOR_INFERENCE": enc.inference}
    if enc.inference == "torch":
        same_path["SABOR_ENCODER_DTYPE"] = str(enc.dtype)
    r = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(ray_db), "analyze", "--quiet",
                        "--engine", "ray", "--workers", "2"],
                       cwd=ROOT, capture_output=True, text=True, timeout=840, env={**_ray_env(), **same_path})
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["engine"] == "ray" and out["workers"] == 2
    assert out["scored"] == 300 and out["pending"] == 0 and out["model_version"] == res_local["model_version"]
    assert out["texts_per_second"] > 0

    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'local.duckdb'}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{ray_db}' AS b (READ_ONLY)")
    n, diff_label, diff_stars, max_score = con.execute("""
        SELECT count(*), sum((x.sentiment <> y.sentiment)::INT), sum((x.stars_pred <> y.stars_pred)::INT),
               max(greatest(abs(x.sentiment_score - y.sentiment_score), abs(x.p_neutral - y.p_neutral)))
        FROM a.predictions x JOIN b.predictions y USING (feedback_id, model_version)""").fetchall()[0]
    assert (n, diff_label, diff_stars) == (300, 0, 0)
    assert max_score < 1e-6
    # taste attributes and food mentions: the same rows, evidence and polarity included
    for table, cols in (("taste_mentions", "feedback_id, attribute, polarity, evidence, round(score, 6)"),
                        ("food_mentions", "feedback_id, entry, family, polarity, evidence, round(score, 6)"),
                        ("food_scans", "feedback_id, model_version, lexicon_version")):
        a = con.execute(f"SELECT {cols} FROM a.{table} ORDER BY ALL").fetchall()
        b = con.execute(f"SELECT {cols} FROM b.{table} ORDER BY ALL").fetchall()
        assert a == b and (a or table == "food_mentions"), table
    assert con.execute("SELECT count(*) FROM a.taste_mentions").fetchall()[0][0] > 50


def test_a_stopped_ray_run_resumes_and_scores_nothing_twice(tmp_path):
    from analysis.ops.ray_engine import analyze_ray

    for k, v in _ray_env().items():
        os.environ.setdefault(k, v)
    store = _loaded(tmp_path / "r.duckdb", _sample_csv(tmp_path, 200))
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 64:
            stop.set()      # as SIGTERM would, after the first committed chunk

    first = analyze_ray(store, progress=progress, workers=1, chunk_size=64, stop=stop)
    version_before = first["model_version"]
    assert first["stopped"] and first["scored"] == 64 and first["pending"] == 200 - 64
    assert seen[0] == (0, 200) and seen[-1] == (64, 200)
    assert store.scalar("SELECT count(*) FROM predictions") == 64
    texts_before = metrics.INFERENCE_TEXTS.labels(model=version_before)._value.get()

    second = analyze_ray(store, workers=1, chunk_size=64)
    assert not second["stopped"] and second["scored"] == 200 - 64 and second["pending"] == 0
    # exactly the rest went through the model: nothing scored twice, every comment once
    assert metrics.INFERENCE_TEXTS.labels(model=version_before)._value.get() - texts_before == 200 - 64
    assert store.scalar("SELECT count(*) FROM predictions") == 200
    assert store.scalar("SELECT count(DISTINCT feedback_id) FROM predictions") == 200
    assert metrics.SCORING_THROUGHPUT.labels(engine="ray")._value.get() > 0
    third = analyze_ray(store, workers=1)
    assert third["scored"] == 0 and third["workers"] == 0     # nothing pending: Ray is not even started
    store.close()


def test_address_without_the_ray_engine_is_refused(tmp_path):
    r = subprocess.run([sys.executable, "-m", "analysis.cli", "--db", str(tmp_path / "x.duckdb"), "analyze",
                        "--address", "127.0.0.1:6379"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--engine ray" in r.stderr
    assert not (tmp_path / "x.duckdb").exists()       # refused before the database is opened
