"""The inbox: files dropped into a folder are loaded as the upload page loads them.

Layout of the folder (`sabor watch DIR`, `sabor refresh --inbox DIR`, `SABOR_INBOX` for the app):

    DIR/encuesta.csv            any file: feedback or market, told apart by its columns
    DIR/feedback/…, DIR/market/…   or say the kind with the subfolder
    DIR/done/<file> + <file>.report.json + <file>.report.txt     loaded, or already loaded (duplicate)
    DIR/failed/<file> + <file>.report.json + <file>.report.txt   refused, with the reason

A file is read only when it is complete: when a `<file>.ready` marker sits beside it, or when its size
and modification time have not changed for `settle_s` seconds (two observations apart). Hidden files and
names ending in .part/.tmp/.crdownload/.partial are never read, nor symbolic links (the inbox reads only
what was dropped into it); with `require_marker` only files with a marker are. The same bytes are never
loaded twice: a file whose sha256 is already in `uploads` (loaded by any path) goes to done/ as a
duplicate. Everything lives on disk and in the database, so a restart
simply picks up what is still in the folder; a crash after loading and before moving is seen as a
duplicate next time.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analysis.ingest import IngestError, ingest_bytes
from analysis.ingest.readers import check_size, read_table
from analysis.ingest.schema import FEEDBACK_SYNONYMS, MARKET_SYNONYMS, auto_map
from analysis.ops import metrics
from analysis.ops.logs import get_logger
from analysis.store import audit, load_detail
from analysis.store import refresh as rstore

log = get_logger("sabor.inbox")
KINDS = ("feedback", "market")
DONE, FAILED = "done", "failed"
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", ".swp", ".ready", ".lock")
REPORT_SUFFIXES = (".report.json", ".report.txt")


def detect_kind(data: bytes, file_name: str) -> str:
    """Feedback or market, by the columns: a comment column means feedback; a month/date, a product or
    category and numbers (a value column or numeric metric columns) without one means market. Anything
    else is read as feedback, which infers the comment column or refuses the file with the reason."""
    from analysis.ingest.market import _mostly_numeric

    raw = read_table(data, file_name)
    cols = list(raw.df.columns)
    if "text" in auto_map(cols, FEEDBACK_SYNONYMS).columns:
        return "feedback"
    mk = auto_map(cols, MARKET_SYNONYMS)
    has_when = "date" in mk.columns or "year" in mk.columns
    has_what = "product" in mk.columns or "category" in mk.columns
    has_numbers = "value" in mk.columns or any(_mostly_numeric(raw.df[c]) for c in mk.unmapped)
    return "market" if has_when and has_what and has_numbers else "feedback"


def _free_name(folder: Path, name: str) -> Path:
    dest = folder / name
    if not dest.exists():
        return dest
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    p = Path(name)
    return folder / f"{p.stem}.{stamp}{p.suffix}"


@dataclass
class Inbox:
    root: Path
    settle_s: float = 2.0
    require_marker: bool = False
    clock: Callable[[], float] = time.time
    _seen: dict = field(default_factory=dict, repr=False)   # path -> (size, mtime_ns, first seen)

    def __post_init__(self):
        self.root = Path(self.root).expanduser()

    @classmethod
    def from_env(cls, root) -> Inbox:
        return cls(root, settle_s=float(os.environ.get("SABOR_INBOX_SETTLE_S", 2)),
                   require_marker=os.environ.get("SABOR_INBOX_REQUIRE_READY", "0") == "1")

    def check(self, create: bool = True) -> None:
        """The folder exists (made when missing and its parent exists: a first scheduled run on a fresh
        volume must not fail)."""
        if not self.root.is_dir() and create and self.root.parent.is_dir():
            self.root.mkdir(exist_ok=True)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: la carpeta de entrada no existe")

    def candidates(self) -> list[tuple[Path, str | None]]:
        """(file, kind from its subfolder or None) for every file that may be data, oldest first."""
        out = []
        for folder, kind in [(self.root, None)] + [(self.root / k, k) for k in KINDS]:
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                name = p.name
                if (p.is_symlink() or not p.is_file() or name.startswith((".", "~"))
                        or name.endswith(PARTIAL_SUFFIXES) or name.endswith(REPORT_SUFFIXES)):
                    continue
                try:
                    out.append((p.stat().st_mtime_ns, p, kind))
                except FileNotFoundError:        # moved away meanwhile
                    continue
        return [(p, kind) for _, p, kind in sorted(out, key=lambda t: (t[0], str(t[1])))]

    def ready(self) -> list[tuple[Path, str | None]]:
        """Files complete now: a .ready marker, or size and mtime unchanged for settle_s seconds."""
        now, out, present = self.clock(), [], set()
        for p, kind in self.candidates():
            present.add(p)
            marker = p.with_name(p.name + ".ready")
            if marker.exists():
                out.append((p, kind))
                continue
            if self.require_marker:
                continue
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            sig = (st.st_size, st.st_mtime_ns)
            prev = self._seen.get(p)
            if prev is None or prev[:2] != sig:
                self._seen[p] = (*sig, now)
                continue
            if now - prev[2] >= self.settle_s and now - st.st_mtime >= self.settle_s:
                out.append((p, kind))
        for gone in set(self._seen) - present:
            self._seen.pop(gone, None)
        return out

    def wait_ready(self, max_wait_s: float | None = None, sleep: Callable[[float], None] = time.sleep):
        """Ready files for a one-shot run: observes twice, waiting for young files to settle (at most
        `max_wait_s`, default 3 x settle_s). Files still being written are left for the next run."""
        limit = self.clock() + (3 * self.settle_s if max_wait_s is None else max_wait_s)
        ready = self.ready()
        while self.clock() < limit:
            pending = len(self.candidates()) - len(ready)
            if pending <= 0 or self.require_marker:
                break
            sleep(min(0.5, max(0.05, self.settle_s / 4)))
            ready = self.ready()
        return ready

    # -- one file ---------------------------------------------------------------------------------------
    def process_file(self, store, path: Path, kind_hint: str | None = None,
                     run_id: str | None = None) -> dict:
        """Load one complete file, move it to done/ or failed/ with its report, record it. A database error
        (locked, disk full) leaves the file where it is and is raised."""
        seen_at = datetime.now(UTC).replace(tzinfo=None)
        result = {"file": path.name, "kind": kind_hint, "status": None, "rows_loaded": 0, "reason": None}
        report: dict = {}
        text = ""
        try:
            check_size(path.stat().st_size, path.name)
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            result["sha256"] = sha
            previous = rstore.loaded_at(store, sha)
            if previous is not None:
                result.update(status="duplicate",
                              reason=f"ya cargado el {previous:%Y-%m-%d %H:%M} (mismos bytes)")
                report = {"status": "duplicate", "file_name": path.name, "sha256": sha,
                          "already_loaded_at": str(previous)}
                text = (f"Archivo: {path.name}\n"
                        f"Ya se cargó el {previous:%Y-%m-%d %H:%M}: no se vuelve a cargar.")
            else:
                kind = kind_hint or detect_kind(data, path.name)
                result["kind"] = kind
                rep = ingest_bytes(store, data, path.name, kind=kind)
                audit(store, "inbox", f"{kind}.upload", load_detail(rep))
                result.update(status="loaded", rows_loaded=int(rep.rows_loaded), upload_id=rep.upload_id)
                report = {"status": "loaded", **rep.to_dict()}
                text = rep.to_text()
        except IngestError as e:
            result.update(status="failed", reason=str(e), error_code=e.reason)
            report = {"status": "failed", "file_name": path.name, "reason": e.reason, "error": str(e)}
            text = f"Archivo: {path.name}\nNo se cargó: {e}"
        except duckdb.Error:
            raise
        except Exception as e:  # noqa: BLE001 - one bad file must not stop the inbox
            result.update(status="failed", reason=f"error inesperado: {type(e).__name__}: {e}")
            report = {"status": "failed", "file_name": path.name, "reason": "unexpected",
                      "error": result["reason"]}
            text = f"Archivo: {path.name}\nNo se cargó: {result['reason']}"
            log.exception("inbox_file_error", extra={"file_chars": len(path.name)})
        dest_dir = self.root / (FAILED if result["status"] == "failed" else DONE)
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = _free_name(dest_dir, path.name)
        rstore.record_inbox_file(store, {
            "sha256": result.get("sha256", ""), "file_name": path.name, "kind": result["kind"],
            "status": result["status"], "upload_id": result.get("upload_id"),
            "rows_loaded": result["rows_loaded"],
            "reason": result["reason"], "moved_to": str(dest.relative_to(self.root)), "seen_at": seen_at,
            "run_id": run_id})
        os.replace(path, dest)
        dest.with_name(dest.name + ".report.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        dest.with_name(dest.name + ".report.txt").write_text(text + "\n", encoding="utf-8")
        marker = path.with_name(path.name + ".ready")
        if marker.exists():
            marker.unlink()
        self._seen.pop(path, None)
        result["moved_to"] = str(dest.relative_to(self.root))
        metrics.INBOX_FILES.labels(outcome=result["status"]).inc()
        log.info("inbox_file", extra={"status": result["status"], "kind": result["kind"],
                                      "rows_loaded": result["rows_loaded"], "moved_to": result["moved_to"]})
        return result

    def process(self, store, files: list[tuple[Path, str | None]] | None = None,
                run_id: str | None = None) -> dict:
        """Load every ready file (or `files`). {"files": [...], "files_loaded", "files_failed",
        "files_duplicate", "rows_loaded", "waiting"}."""
        batch = self.ready() if files is None else files
        results = [self.process_file(store, p, k, run_id) for p, k in batch if p.exists()]
        return summarize(results, waiting=len(self.candidates()))


def summarize(results: list[dict], waiting: int = 0) -> dict:
    return {"files": results,
            "files_loaded": sum(r["status"] == "loaded" for r in results),
            "files_failed": sum(r["status"] == "failed" for r in results),
            "files_duplicate": sum(r["status"] == "duplicate" for r in results),
            "rows_loaded": sum(int(r["rows_loaded"] or 0) for r in results),
            "waiting": waiting}


# --- the watcher -----------------------------------------------------------------------------------------

def watch(inbox: Inbox, handle: Callable[[list[tuple[Path, str | None]]], None], stop: threading.Event,
          interval: float = 1.0) -> None:
    """Poll the folder every `interval` seconds (polling works on every volume, network ones included);
    hand each batch of complete files to `handle` (which loads them). Errors are logged, never fatal: a
    locked database or a full disk is retried on the next tick."""
    inbox.check()
    log.info("inbox_watch_started", extra={"settle_s": inbox.settle_s, "interval_s": interval})
    while not stop.is_set():
        try:
            batch = inbox.ready()
            if batch:
                handle(batch)
        except Exception as e:  # noqa: BLE001
            log.warning("inbox_watch_error", extra={"error": f"{type(e).__name__}: {str(e)[:300]}"})
            stop.wait(max(interval, 5.0))
        stop.wait(interval)
    log.info("inbox_watch_stopped")
