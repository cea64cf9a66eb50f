"""One writer, shared safely: how the CLI works while `sabor serve` (make run) holds the database.

DuckDB lets one process open a file for writing. The serving process is that one owner: it serves the
dashboard, the HTTP API, the inbox and the scorer, and every write in it goes through the Store's write
lock (one transaction at a time; two loads at once both succeed, one after the other).

When a CLI command that writes (`sabor ingest`, `analyze`, `erase`, `user ...`) finds the file locked, it
hands the work to the running app through the app's own API on 127.0.0.1 instead of failing:

- the serving process writes a run-file next to the database, `<db>.serve.json` (mode 0600, owner only):
  its pid, the API's local URL and a per-run secret (256 random bits, new at each start, gone at exit);
- the CLI reads it, checks the pid is alive, and calls the API with `Authorization: Bearer <secret>`; the
  API takes that secret only from a loopback address, as the local administrator (the person who can read
  a 0600 file beside the database can already open the database itself when the app is stopped), and
  records the CLI's user (`X-Sabor-Actor: cli:<login>`) in the audit trail.

Commands that only read, or a write with no run-file (the API is off, or another CLI holds the file),
retry opening for a bounded time (`SABOR_LOCK_WAIT_S`, 10 s by default) and then exit 75 with "la base
está en uso por …; reintente o use el panel".
"""
from __future__ import annotations

import getpass
import hmac
import json
import mimetypes
import os
import secrets
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from analysis.ops.logs import get_logger

log = get_logger("sabor.handover")
_SECRET: str | None = None
_WRITTEN: Path | None = None


def runfile_path(db: str | Path) -> Path:
    db = Path(db).expanduser().resolve()
    return db.with_name(db.name + ".serve.json")


def write_runfile(db: str | Path, host: str, port: int) -> Path:
    """Called by the serving process once its API listens. Returns the run-file's path."""
    global _SECRET, _WRITTEN
    _SECRET = secrets.token_urlsafe(32)
    local = "127.0.0.1" if host in ("0.0.0.0", "", "::", "127.0.0.1", "localhost") else host
    path = runfile_path(db)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"pid": os.getpid(), "api": f"http://{local}:{int(port)}", "secret": _SECRET,
                   "started_at": time.time()}, f)
    os.replace(tmp, path)
    _WRITTEN = path
    import atexit

    atexit.register(remove_runfile)
    log.info("runfile_written", extra={"path": str(path)})
    return path


def remove_runfile() -> None:
    """At exit: the file goes, and its secret stops working."""
    global _WRITTEN, _SECRET
    _SECRET = None
    if _WRITTEN is not None:
        try:
            info = json.loads(_WRITTEN.read_text(encoding="utf-8"))
            if info.get("pid") == os.getpid():
                _WRITTEN.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
        _WRITTEN = None


def is_local_secret(token: str | None) -> bool:
    """Is `token` this process's run-file secret? (the API asks, for loopback callers only)"""
    return bool(_SECRET and token and hmac.compare_digest(_SECRET.encode(), token.encode()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_runfile(db: str | Path) -> dict | None:
    """The run-file of a live serving process for `db`, or None."""
    path = runfile_path(db)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not {"pid", "api", "secret"} <= set(info):
        return None
    return info if _alive(int(info["pid"])) else None


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name (container without passwd entry)
        return f"cli:uid{os.getuid()}"


class HandoverError(Exception):
    """The running app answered with an error: `status` and its problem `detail` (already in words)."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


class AppClient:
    """The running app's API, as the local administrator."""

    def __init__(self, info: dict, timeout: float = 600.0):
        self.base = info["api"].rstrip("/")
        self.pid = int(info["pid"])
        self._secret = info["secret"]
        self.timeout = timeout

    def _request(self, method: str, path: str, body: bytes | None = None,
                 ctype: str | None = None) -> dict:
        req = urllib.request.Request(self.base + path, data=body, method=method)
        req.add_header("Authorization", f"Bearer {self._secret}")
        req.add_header("X-Sabor-Actor", cli_actor())
        req.add_header("Accept-Language", "es")
        if ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                problem = json.loads(e.read() or b"{}")
            except ValueError:
                problem = {}
            detail = problem.get("detail") or problem.get("title") or f"HTTP {e.code}"
            errs = problem.get("errors") or (problem.get("detail") if isinstance(problem.get("detail"), dict)
                                              else None)
            if isinstance(errs, dict):
                detail = f"{problem.get('title', detail)}: {json.dumps(errs, ensure_ascii=False)}"
            raise HandoverError(e.code, str(detail)) from None

    def get(self, path: str) -> dict:
        return self._request("GET", path)

    def post_json(self, path: str, obj: dict) -> dict:
        return self._request("POST", path, json.dumps(obj).encode("utf-8"), "application/json")

    def put_json(self, path: str, obj: dict) -> dict:
        return self._request("PUT", path, json.dumps(obj).encode("utf-8"), "application/json")

    def delete(self, path: str) -> dict:
        return self._request("DELETE", path)

    def upload(self, path: str, file: Path, fields: list[tuple[str, str]]) -> dict:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for k, v in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                         .encode("utf-8"))
        ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        name = file.name.replace('"', "_")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     f"Content-Type: {ctype}\r\n\r\n".encode("utf-8"))
        parts.append(file.read_bytes())
        parts.append(f"\r\n--{boundary}--\r\n".encode())
        return self._request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def wait_job(self, job_id: str, poll: float = 1.0, progress=None) -> dict:
        while True:
            job = self.get(f"/api/v1/jobs/{job_id}")
            if progress and job.get("total"):
                progress(int(job.get("done") or 0), int(job["total"]))
            if job.get("status") in ("done", "failed", "idle"):
                return job
            time.sleep(poll)


def app_for(db: str | Path) -> AppClient | None:
    info = read_runfile(db)
    return AppClient(info) if info else None
