"""Classification of unscored comments in a background thread of the server process.

`sabor serve` starts it so the dashboard opens at once on freshly loaded data while BERT works through
the backlog; pages read whatever is scored so far and show the job's progress. One job per process.
"""
from __future__ import annotations

import threading
import time
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

    @property
    def rate(self) -> float:
        elapsed = (self.finished or time.time()) - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float:
        return (self.total - self.done) / self.rate if self.rate > 0 else 0.0


_state = JobState()
_lock = threading.Lock()
# Held while the process writes model results: the background analysis and the app's refresh
# (analysis.ops.refresh.start_in_app) never score the same comments at once.
WORK_LOCK = threading.RLock()


def state() -> JobState:
    return _state


def start_analysis(store) -> bool:
    """Start scoring unscored comments unless a job is already running; returns True if started."""
    global _state
    with _lock:
        if _state.running:
            return False
        _state = JobState(running=True, started=time.time())
        job = _state

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total

    def run() -> None:
        from analysis.ops.scoring import analyze

        try:
            with WORK_LOCK:
                job.result = analyze(store, progress=progress)
            from analysis.insight.topics import ensure_current

            job.phase = "topics"      # a first fit, or the new comments joining their nearest topic
            with WORK_LOCK:
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
