"""Real receivers for alert tests, on 127.0.0.1 only: an HTTP server that records webhook POSTs (and can
answer with failures first), and an SMTP server (aiosmtpd) that requires STARTTLS with a certificate of a
throwaway CA (trustme) and a login before it accepts mail."""
from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import free_port


@dataclass
class Received:
    path: str
    headers: dict
    body: dict
    status: int


class WebhookReceiver:
    """`statuses` are answered in order to successive POSTs, then 200 for every later one."""

    def __init__(self, statuses: list[int] | None = None):
        self.requests: list[Received] = []
        self.statuses = list(statuses or [])
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                n = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(n)
                code = outer.statuses.pop(0) if outer.statuses else 200
                outer.requests.append(Received(self.path, dict(self.headers), json.loads(raw.decode("utf-8")),
                                               code))
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"error")

            def log_message(self, *args):   # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sabor"

    @property
    def delivered(self) -> list[Received]:
        """Requests answered with success (what the receiver took)."""
        return [r for r in self.requests if r.status < 300]

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


USER, PASSWORD = "alertas@sabor.test", "s3cret-smtp-pass"


@dataclass
class SmtpCapture:
    messages: list = field(default_factory=list)    # (envelope, tls_on, authenticated)


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with STARTTLS required and AUTH (USER/PASSWORD) required over TLS."""

    def __init__(self, tmp_path: Path, implicit_tls: bool = False):
        import trustme
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.capture = SmtpCapture()
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self.ca_file = tmp_path / "test-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        capture = self.capture

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
                tls_on = server.transport.get_extra_info("ssl_object") is not None   # STARTTLS or implicit
                capture.messages.append((envelope, tls_on, bool(session.authenticated)))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
                  and auth_data.password.decode() == PASSWORD)
            return AuthResult(success=ok)

        self.port = free_port()
        kw = dict(authenticator=authenticator, auth_require_tls=True, auth_required=True)
        if implicit_tls:
            # the whole connection is TLS; aiosmtpd's auth_require_tls only knows STARTTLS
            self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, ssl_context=ctx,
                                         server_hostname="127.0.0.1", **(kw | {"auth_require_tls": False}))
        else:
            self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=ctx,
                                         require_starttls=True, **kw)

    def env(self, security: str = "starttls") -> dict[str, str]:
        return {"SABOR_SMTP_HOST": "127.0.0.1", "SABOR_SMTP_PORT": str(self.port),
                "SABOR_SMTP_SECURITY": security, "SABOR_SMTP_USER": USER, "SABOR_SMTP_PASSWORD": PASSWORD,
                "SABOR_SMTP_CA_FILE": str(self.ca_file),
                "SABOR_ALERT_EMAIL_FROM": "sabor@sabor.test", "SABOR_ALERT_EMAIL_TO": "equipo@sabor.test"}

    @property
    def messages(self):
        return self.capture.messages

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
