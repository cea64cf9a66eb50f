"""A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies, for tests of the LLM path.

Implements POST /v1/chat/completions with the real JSON protocol (id, object, choices[].message, usage)
and records every request (path, headers, JSON body) so tests can check what the client sent.

    with FakeLLM([reply('{"sql": "SELECT 1"}'), status(500)]) as llm:
        os.environ["OPENAI_BASE_URL"] = llm.base_url
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass
class Step:
    content: str | None = None        # assistant message text
    status: int = 200
    raw: bytes | None = None          # raw body instead of a completion (malformed replies)
    delay_s: float = 0.0              # sleep before answering (timeouts)
    prompt_tokens: int = 0
    completion_tokens: int = 0


def reply(content: str, prompt_tokens: int = 120, completion_tokens: int = 30, delay_s: float = 0.0) -> Step:
    return Step(content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                delay_s=delay_s)


def status(code: int,
           body: str = '{"error": {"message": "scripted failure", "type": "server_error"}}') -> Step:
    return Step(status=code, raw=body.encode())


def raw(body: bytes | str, code: int = 200) -> Step:
    return Step(status=code, raw=body if isinstance(body, bytes) else body.encode())


def slow(seconds: float, content: str = '{"sql": "SELECT 1"}') -> Step:
    return Step(content=content, delay_s=seconds)


@dataclass
class Recorded:
    path: str
    headers: dict              # lower-case names
    body: dict | None


@dataclass
class FakeLLM:
    script: list[Step] = field(default_factory=list)
    default: Step | None = None       # used when the script is exhausted (else 500)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def next_step(self) -> Step:
        with self._lock:
            if self.script:
                return self.script.pop(0)
        return self.default or status(500)

    def start(self) -> FakeLLM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n)
                try:
                    body = json.loads(data)
                except ValueError:
                    body = None
                with fake._lock:
                    fake.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                  body))
                if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                    return self._send(404, b'{"error": {"message": "not found"}}')
                step = fake.next_step()
                if step.delay_s:
                    time.sleep(step.delay_s)
                if step.raw is not None:
                    return self._send(step.status, step.raw)
                payload = {
                    "id": f"chatcmpl-fake{len(fake.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": (body or {}).get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": step.content}}],
                    "usage": {"prompt_tokens": step.prompt_tokens,
                              "completion_tokens": step.completion_tokens,
                              "total_tokens": step.prompt_tokens + step.completion_tokens},
                }
                self._send(step.status, json.dumps(payload).encode())

            def _send(self, code: int, data: bytes):
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers for assertions -------------------------------------------------------------
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def sent_text(self, i: int = -1) -> str:
        """All message contents of request i joined: what the model saw."""
        body = self.chat_requests()[i].body or {}
        return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
