"""Load one file into the store: the entry point of every upload (page, CLI, API, inbox).

The same bytes again are answered from the `uploads` table before anything is read, and before pandas is
imported: `sabor ingest` of an already loaded file is a light process. Otherwise the file is read
(readers), prepared (feedback / market) and written in one transaction (Store.load_feedback)."""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.ingest.limits import IngestError, check_size
from analysis.ingest.load_report import LoadReport
from analysis.ops import metrics

if TYPE_CHECKING:
    from analysis.store import Store


def ingest_bytes(store: Store, data: bytes, file_name: str, overrides: dict[str, str] | None = None,
                 kind: str = "feedback") -> LoadReport:
    """Load one uploaded file. Raises IngestError (database untouched) when the file is unusable.

    A file whose exact bytes are already loaded is not read again: the report says so
    (`already_loaded`, `already_text()`: "ya cargado el DATE (carga N)") and the database is unchanged. A
    file that adds rows to an earlier export loads only the rows not already there (duplicates skipped).
    """
    start = time.perf_counter()
    name = Path(file_name).name
    sha = hashlib.sha256(data).hexdigest()
    # The same bytes again: answered from the uploads table before reading anything, nothing written.
    prev = store.upload_of_file(sha)
    if prev is not None:
        rep = LoadReport.already(name, kind, sha, len(data), prev)
        rep.seconds = round(time.perf_counter() - start, 3)
        metrics.INGEST_ALREADY_LOADED.labels(kind=kind).inc()
        return rep
    # Reading and preparing need pandas: imported only now, so a re-load is answered without them.
    from analysis.ingest import market
    from analysis.ingest.feedback import prepare_feedback
    from analysis.ingest.readers import read_table

    try:
        raw = read_table(data, name)
        prepared = (prepare_feedback(raw, name, overrides) if kind == "feedback"
                    else market.prepare_market(raw, name, overrides))
    except IngestError as e:
        metrics.UPLOAD_ERRORS.labels(reason=e.reason).inc()
        raise
    rep = prepared.report
    rep.sha256, rep.size_bytes = sha, len(data)
    loader = store.load_feedback if kind == "feedback" else store.load_market
    counts = loader(prepared.rows, prepared.rejected, rep)
    for k, v in counts.items():
        setattr(rep, k, v)
    rep.rows_duplicate = rep.duplicates_in_file + rep.duplicates_in_db
    rep.seconds = round(time.perf_counter() - start, 3)
    metrics.FEEDBACK_ROWS_INGESTED.labels(kind=kind).inc(rep.rows_loaded)
    metrics.INGEST_DUPLICATES.inc(rep.rows_duplicate)
    for r, c in rep.rejected_by_reason.items():
        metrics.INGEST_ROWS_REJECTED.labels(reason=r).inc(c)
    metrics.INGEST_SECONDS.labels(kind=kind).observe(rep.seconds)
    store.refresh_gauges()
    return rep


def ingest_file(store: Store, path: str | Path, overrides: dict[str, str] | None = None,
                kind: str = "feedback") -> LoadReport:
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"{p}: el archivo no existe.", "not_found")
    try:
        check_size(p.stat().st_size, p.name)  # refuse before reading a huge file into memory
    except IngestError as e:
        metrics.UPLOAD_ERRORS.labels(reason=e.reason).inc()
        raise
    return ingest_bytes(store, p.read_bytes(), p.name, overrides, kind)
