"""Serving the API: in a background thread beside the dashboard, or in the foreground alone.

Waitress (a pure-Python, thread-pool WSGI server) runs inside a thread of another program, which is what
the one-process layout needs: Streamlit must own the main thread (it installs signal handlers), and
gunicorn forks workers and owns its process's signals, so neither can host the other. When the API
thread cannot start or dies, the process is stopped (SIGTERM to itself) rather than left serving a
dashboard without its API: a supervisor (Kubernetes, `make run`'s terminal) then sees it.
"""
from __future__ import annotations

import os
import signal
import threading

from analysis.ops.logs import get_logger

log = get_logger("sabor.api")
THREADS = int(os.environ.get("SABOR_API_THREADS", "8"))


def warm_up(store) -> bool:
    """Run the readiness check once before serving: the first one loads the model's head (seconds), and a
    readiness probe with a 3 s timeout must not pay for it. Returns whether the process is ready."""
    from analysis.ops.health import readiness

    return bool(readiness(store.path)["ready"])


def api_address() -> tuple[str, int]:
    return (os.environ.get("SABOR_API_ADDR", "127.0.0.1"), int(os.environ.get("SABOR_API_PORT", "8600")))


def make_server(app, host: str, port: int, threads: int = THREADS):
    """A bound waitress server (raises OSError when the port is taken). No body limit beyond the app's."""
    from waitress import create_server

    return create_server(app, host=host, port=port, threads=threads, ident="sabor",
                         max_request_body_size=app.config.get("MAX_CONTENT_LENGTH") or 1 << 30,
                         clear_untrusted_proxy_headers=True)


def start_in_thread(app, host: str, port: int, stop_process_on_exit: bool = True):
    """Bind now (so the caller knows the port works), serve in a daemon thread; returns the server
    (`server.close()` stops it). With `stop_process_on_exit`, the process is terminated if serving ends
    by error."""
    server = make_server(app, host, port)

    def run() -> None:
        try:
            server.run()
        except Exception as e:  # noqa: BLE001 - logged, then the process is told to stop
            log.error("api_server_failed", extra={"error": f"{type(e).__name__}: {e}"})
            if stop_process_on_exit:
                os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=run, name="sabor-api", daemon=True).start()
    log.info("api_started", extra={"addr": host, "port": int(server.effective_port)})
    return server


def serve_forever(app, host: str, port: int, on_bound=None) -> None:
    """Serve in the foreground; `on_bound(port)` runs once the port is bound (the run-file is written)."""
    server = make_server(app, host, port)
    log.info("api_started", extra={"addr": host, "port": int(server.effective_port)})
    if on_bound is not None:
        on_bound(int(server.effective_port))
    try:
        server.run()
    finally:
        server.close()
