"""Classification of unscored comments in a background thread of the server process.

`sabor serve` starts it so the dashboard opens at once on freshly loaded data while BERT works through
the backlog; pages read whatever is scored so far and show the job's progress. One job per process: the
dashboard's button, `make run` and the API's `POST /api/v1/analyze` all see the same job. Each job has an
id; the last few are kept so a client can read how its job ended.
"""
from __future__ import annotations

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


def state() -> JobState:
    return _state


def get(job_id: str) -> JobState | None:
    return _history.get(job_id)


def start_analysis(store) -> bool:
    """Start scoring unscored comments unless a job is already running; returns True if started."""
    global _state
    with _lock:
        if _state.running:
            return False
        _state = JobState(running=True, started=time.time())
        job = _state
        _history[job.id] = job
        while len(_history) > _KEEP:
            _history.pop(next(iter(_history)))

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total

    def run() -> None:
        from analysis.ops.scoring import analyze

        try:
            job.result = analyze(store, progress=progress)
            from analysis.insight.topics import ensure_current

            job.phase = "topics"      # a first fit, or the new comments joining their nearest topic
            job.result["topics"] = ensure_current(store)
            log.info("background_analysis_done",
                     extra={"scored": job.result.get("scored"),
                            "duration_ms": int((time.time() - job.started) * 1000)})
        except Exception as e:  # the page shows it; the server keeps serving
            job.error = f"{type(e).__name__}: {e}"
            log.error("background_analysis_failed", extra={"error": job.error})
        finally:
            job.finished = time.time()
            job.running = False

    threading.Thread(target=run, name="sabor-analysis", daemon=True).start()
    return True
