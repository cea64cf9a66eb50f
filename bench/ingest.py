"""Benchmark: ingest a generated 1,000,000-row survey CSV (Spanish headers, day-first dates).

    python bench/ingest.py [--rows 1000000]

Not a timed test: prints the time of each stage. Goal on a 2-core machine: under 10 s for 1M rows.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.ingest import ingest_file
from analysis.store import Store


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    demo = pd.read_csv(ROOT / "data" / "demo_feedback.csv", dtype=str)
    texts = demo["Comentario del cliente"].to_numpy()
    days = pd.date_range("2023-01-01", "2025-12-31", freq="D").strftime("%d/%m/%Y").to_numpy()
    # A suffix number keeps most rows distinct, as in a real export (few exact duplicates).
    idx = rng.integers(0, len(texts), rows)
    df = pd.DataFrame({
        "ID Encuesta": np.arange(1, rows + 1),
        "Fecha de respuesta": days[rng.integers(0, len(days), rows)],
        "Producto": demo["Producto"].to_numpy()[idx],
        "Región": demo["Región"].to_numpy()[rng.integers(0, len(demo), rows)],
        "Canal de compra": demo["Canal de compra"].to_numpy()[rng.integers(0, len(demo), rows)],
        "Comentario del cliente": texts[idx] + " #" + rng.integers(0, 50, rows).astype(str),
        "Calificación (1-5)": rng.integers(1, 6, rows),
    })
    df.to_csv(path, index=False, sep=";")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "encuesta_grande.csv"
        t = time.perf_counter()
        make_csv(csv, args.rows)
        print(f"generated {args.rows:,} rows, {csv.stat().st_size / 1e6:.0f} MB "
              f"in {time.perf_counter() - t:.1f} s")
        store = Store.open(Path(tmp) / "bench.duckdb")
        t = time.perf_counter()
        rep = ingest_file(store, csv)
        dt = time.perf_counter() - t
        print(f"ingest: {dt:.2f} s  ({rep.rows_loaded / dt:,.0f} rows/s)  loaded={rep.rows_loaded:,} "
              f"duplicates={rep.rows_duplicate:,} rejected={rep.rows_rejected:,}")
        t = time.perf_counter()
        again = ingest_file(store, csv)
        print(f"re-ingest (all duplicates): {time.perf_counter() - t:.2f} s  loaded={again.rows_loaded:,}")
        t = time.perf_counter()
        store.query("SELECT month, count(*), avg(rating) FROM feedback_enriched GROUP BY 1")
        print(f"monthly aggregate over feedback_enriched: {time.perf_counter() - t:.2f} s")
        store.close()


if __name__ == "__main__":
    main()
