"""Clean stop on SIGTERM and SIGINT (Kubernetes sends SIGTERM on every rollout, then SIGKILL after the
pod's grace period, 30 s by default).

The design: a signal only *asks* to stop (`STOP` is set); the scorer looks at it between batches, so the
batch in flight finishes and is committed (each batch is its own transaction), nothing more is started,
DuckDB is closed by its owner and the process exits 0. Stopping half-way is normal: the comments not scored
yet stay pending and the next `sabor analyze` (or `sabor serve --analyze`) scores only those.

- `sabor analyze`: `install()` sets the handlers; the command returns its JSON with `"stopped": true`.
- `sabor serve --analyze`: Streamlit installs its own handlers (they stop the web server); when its loop
  returns, `analysis.ops.jobs.finish(store)` sets `STOP`, waits for the scoring thread up to `grace_seconds()`
  (SABOR_STOP_GRACE_S, default 20: inside Kubernetes' 30), closes the store and exits 0. Without this the
  interpreter tore down while the scoring thread was inside torch: "terminate called without an active
  exception", exit 134. A thread that does not finish in time (a topic-model fit cannot be cut between
  batches) is left behind with os._exit(0): what was committed stays committed (DuckDB's write-ahead log),
  and the fit starts again next time.
"""
from __future__ import annotations

import os
import signal
import threading

from analysis.ops.logs import get_logger

STOP = threading.Event()
log = get_logger("sabor.shutdown")


def grace_seconds() -> float:
    try:
        return max(float(os.environ.get("SABOR_STOP_GRACE_S", "20")), 0.0)
    except ValueError:
        return 20.0


def request_stop(reason: str) -> None:
    if not STOP.is_set():
        log.info("stop_requested", extra={"reason": reason})
    STOP.set()


def install() -> threading.Event:
    """SIGTERM and SIGINT set STOP instead of killing the process mid-batch (main thread only)."""

    def handler(signum, frame) -> None:  # noqa: ARG001 -- the signal module's signature
        name = signal.Signals(signum).name
        if STOP.is_set():
            log.warning("stop_already_requested", extra={"signal": name})
            return
        request_stop(name)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return STOP
