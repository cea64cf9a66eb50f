"""The bundled demo data (made by data/make_demo.py): load it once into a store."""
from __future__ import annotations

import hashlib
from pathlib import Path

from analysis.ingest import LoadReport, ingest_file
from analysis.store import Store

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEMO_FEEDBACK = DATA_DIR / "demo_feedback.csv"
DEMO_MARKET = DATA_DIR / "demo_market.csv"


def load_demo(store: Store) -> list[LoadReport]:
    """Ingest the demo feedback and market files; a file already loaded (same sha256) is skipped."""
    reports = []
    for path, kind in ((DEMO_FEEDBACK, "feedback"), (DEMO_MARKET, "market")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if store.scalar("SELECT count(*) FROM uploads WHERE sha256 = ?", [digest]):
            continue
        reports.append(ingest_file(store, path, kind=kind))
    return reports
