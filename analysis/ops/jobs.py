"""Classification of unscored comments in a background thread of the server process.

`sabor serve` starts it so the dashboard opens at once on freshly loaded data while BERT works through
the backlog; pages read whatever is scored so far and show the job's progress. One job per process: the
dashboard's button, `make run` and the API's `POST /api/v1/analyze` all see the same job. Each job has an
id; the last few are kept so a client can read how its job ended.
It stops between batches when analysis.ops.shutdown.STOP is set (SIGTERM/SIGINT); `wait` lets the
server join it before DuckDB is closed.
"""
from __future__ import annotations

import contextvars
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

from analysis.ops.logs import get_logger

log = get_logger("sabor.background")


@dataclass
class JobState:
    running: bool = False
    phase: str = "sentiment"    # then "topics" (first BERTopic fit when none exists yet)
    done: int = 0
    total: int = 0
    started: float = 0.0
    finished: float = 0.0
    error: str | None = None
    result: dict = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    @property
    def status(self) -> str:
        if self.running:
            return "running"
        if self.error:
            return "failed"
        return "done" if self.finished else "idle"

    def to_dict(self) -> dict:
        """What the API returns for a job (plain JSON values)."""
        return {"id": self.id, "status": self.status, "phase": self.phase, "done": self.done,
                "total": self.total, "rate": round(self.rate, 2), "seconds_left": round(self.seconds_left, 1),
                "started": self.started or None, "finished": self.finished or None, "error": self.error,
                "result": self.result}

    @property
    def rate(self) -> float:
        elapsed = (self.finished or time.time()) - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float:
        return (self.total - self.done) / self.rate if self.rate > 0 else 0.0


_state = JobState()
_lock = threading.Lock()
_history: dict[str, JobState] = {}     # the last jobs by id (bounded), for GET /api/v1/jobs/<id>
_KEEP = 20
_thread: threading.Thread | None = None
PROGRESS_LOG_S = 30.0
# Held while the process writes model results: the background analysis and the app's refresh
# (analysis.ops.refresh.start_in_app) never score the same comments at once.
WORK_LOCK = threading.RLock()


def state() -> JobState:
    return _state


def get(job_id: str) -> JobState | None:
    return _history.get(job_id)


def start_analysis(store) -> bool:
    """Start scoring unscored comments unless a job is already running; returns True if started."""
    global _state, _thread
    from analysis.ops.shutdown import STOP

    with _lock:
        if _state.running or STOP.is_set():
            return False
        _state = JobState(running=True, started=time.time())
        job = _state
        _history[job.id] = job
        while len(_history) > _KEEP:
            _history.pop(next(iter(_history)))

    logged = {"t": float("-inf")}

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total
        # a JSON line after the first batch and then every PROGRESS_LOG_S: the job is visible in the logs
        if done and (time.monotonic() - logged["t"] >= PROGRESS_LOG_S or done == total):
            logged["t"] = time.monotonic()
            log.info("background_analysis_progress", extra={"done": done, "total": total})

    def run() -> None:
        from analysis.ops.scoring import analyze

        try:
            with WORK_LOCK:
                job.result = analyze(store, progress=progress, stop=STOP)
            if not STOP.is_set():
                from analysis.insight.topics import ensure_current

                job.phase = "topics"      # a first fit, or the new comments joining their nearest topic
                with WORK_LOCK:
                    job.result["topics"] = ensure_current(store)
            log.info("background_analysis_stopped" if STOP.is_set() else "background_analysis_done",
                     extra={"scored": job.result.get("scored"), "pending": job.result.get("pending"),
                            "duration_ms": int((time.time() - job.started) * 1000)})
        except Exception as e:  # the page shows it; the server keeps serving
            job.error = f"{type(e).__name__}: {e}"
            log.error("background_analysis_failed", extra={"error": job.error})
        finally:
            job.finished = time.time()
            job.running = False

    # the thread logs under the starting command's session id (a copy of its context)
    _thread = threading.Thread(target=contextvars.copy_context().run, args=(run,), name="sabor-analysis",
                               daemon=True)
    _thread.start()
    return True


def wait(timeout: float | None = None) -> bool:
    """Wait for the running job to end; True when none is left running."""
    t = _thread
    if t is not None:
        t.join(timeout)
        return not t.is_alive()
    return True


def finish(store=None) -> None:
    """After the web server stopped (analysis.ops.shutdown): stop the background scorer between batches,
    wait for it up to the grace period, close the store. A job that outlives the grace period (a topic-model
    fit cannot be cut between batches) is left behind with os._exit(0): every committed batch stays
    committed, and the next run goes on from there."""
    from analysis.ops import shutdown

    shutdown.request_stop("server_stopped")
    grace = shutdown.grace_seconds()
    if not wait(grace):
        log.warning("background_job_outlived_grace", extra={"grace_s": grace, "phase": _state.phase})
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(0)
    if store is not None:
        store.close()
    log.info("stopped_cleanly", extra={"scored": _state.done})
