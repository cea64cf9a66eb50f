"""What `analysis.cli` and `analysis.cli_access` share: the bad-input exception, opening the Store with a
bounded wait on DuckDB's lock, and handing a write to the running app (analysis.ops.handover)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


class BadInput(Exception):
    """Bad input: `sabor` prints the one-line reason and exits 2."""


def _lock_holder(e: BaseException) -> str | None:
    """The one-line reason when `e` is DuckDB refusing the file because another process holds it."""
    text = str(e)
    if "lock" not in text.lower() or type(e).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
        return None
    import re

    pid = re.search(r"\(PID (\d+)\)", text)
    path = re.search(r'on file "([^"]+)"', text)
    who = f"el proceso {pid.group(1)}" if pid else "otro proceso"
    where = path.group(1) if path else "la base de datos"
    panel = ""
    if path:
        from analysis.ops.handover import read_runfile

        info = read_runfile(path.group(1))
        if info:
            panel = f" (el panel y su API en {info['api']})"
    return (f"la base {where} está en uso por {who}{panel} (DuckDB admite un solo proceso escritor); "
            f"reintente cuando termine o use el panel")


def _db_path(args) -> Path:
    from analysis.store import default_db_path

    return Path(args.db).expanduser().resolve() if args.db else default_db_path().resolve()


def _is_locked(e: BaseException) -> bool:
    return _lock_holder(e) is not None


def _store(args, wait: float | None = None):
    """The Store; while another process holds the file, retry for `wait` seconds (SABOR_LOCK_WAIT_S,
    10 by default) before giving up with the lock error (exit 75 with one line, in `main`)."""
    import time

    from analysis.store import Store
    from analysis.store.crypto import EncryptionError

    wait = float(os.environ.get("SABOR_LOCK_WAIT_S", "10")) if wait is None else wait
    deadline = time.monotonic() + wait
    while True:
        try:
            return Store.open(_db_path(args))
        except EncryptionError as e:
            raise BadInput(str(e)) from None
        except Exception as e:  # noqa: BLE001 - only DuckDB's lock is retried
            if not _is_locked(e) or time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def _store_or_app(args):
    """(Store, None), or (None, the running app's client) when the serving process holds the file and
    left its run-file (analysis.ops.handover): the write is then handed to it."""
    from analysis.ops.handover import app_for

    try:
        return _store(args, wait=0), None
    except Exception as e:  # noqa: BLE001
        if not _is_locked(e):
            raise
        client = app_for(_db_path(args))
        if client is None:
            return _store(args), None   # no app to hand over to: wait, then the lock message
        print(f"sabor: la app en marcha (proceso {client.pid}) tiene la base; se le envía la tarea "
              f"({client.base})", file=sys.stderr)
        return None, client


def _cli_actor() -> str:
    from analysis.ops.handover import cli_actor

    return cli_actor()
