"""Alert delivery against real receivers on 127.0.0.1: an HTTP server takes the webhook (Slack, Teams and
plain JSON payloads), a failing one is retried with backoff, an SMTP server (aiosmtpd, STARTTLS + login)
receives the e-mail; every attempt is recorded and nothing is sent twice."""
from __future__ import annotations

import email
import email.policy
import io
import logging

import pytest

from analysis.ops import metrics, notify
from analysis.ops.logs import JsonFormatter
from analysis.store import refresh as rstore
from tests.alert_servers import PASSWORD, SmtpServer, WebhookReceiver

NO_WAIT = notify.RetryPolicy(attempts=3, base_s=0.01, later_s=0.0, max_attempts=5)


def message(**kw) -> dict:
    base = {
        "lang": "es",
        "title": "Sabor · nuevo cambio: empaque negativo ↑ en Galletas de kiwicha desde octubre 2025",
        "headline": "empaque negativo ↑ en Galletas de kiwicha desde octubre 2025",
        "sentence": "empaque negativo ↑ en Galletas de kiwicha desde octubre 2025: 1.7% → 26.5% de los "
                    "comentarios (44 de 166 desde entonces; +24.8 pp; q = 3e-39).",
        "shift": {"dimension": "attribute", "key": "empaque", "rate_before": 0.017, "rate_after": 0.265},
        "also_in": ["empaque · queja · Categoría: dulces"],
        "comments": ["El empaque se rompe <y> & llega abierto", "la bolsa llega abierta, escribir a [EMAIL]",
                     "the bag arrived torn"],
        "link": "http://127.0.0.1:8501/tendencias?by=attribute&key=empaque&from=2025-10",
        "rules": ["Empaque roto"],
        "labels": {"comments": "Comentarios recientes (datos personales ocultos)", "also": "También en",
                   "rules": "Regla", "open": "Ver en Sabor"}}
    return base | kw


def new_alert(store, channels: list[str], alert_id: str = "al_test1", series: str = "s1") -> str:
    assert rstore.create_alert(store, {"alert_id": alert_id, "run_id": "r1", "dimension": "attribute",
                                       "key": "empaque", "direction": "up", "start_month": "2025-10",
                                       "headline": "empaque negativo ↑", "rules": ["Empaque roto"],
                                       "message": message()}, [series], channels)
    return alert_id


def sent_count(channel: str, outcome: str) -> float:
    return metrics.ALERT_DELIVERIES.labels(channel=channel, outcome=outcome)._value.get()


@pytest.mark.parametrize("fmt", ["json", "slack", "teams"])
def test_webhook_delivers_each_payload_format_once(store, fmt):
    with WebhookReceiver() as hook:
        ch = notify.Webhook(hook.url, fmt)
        new_alert(store, ["webhook"])
        out = notify.deliver_due(store, [ch], NO_WAIT)
        assert out == {"sent": 1, "failed": 0, "waiting": 0, "alerts_sent": ["al_test1"]}
        assert notify.deliver_due(store, [ch], NO_WAIT)["sent"] == 0          # never twice
    (req,) = hook.requests
    assert req.path == "/hooks/sabor" and req.headers["X-Sabor-Delivery-Id"] == "al_test1:webhook"
    assert req.headers["Content-Type"].startswith("application/json")
    body = req.body
    if fmt == "json":
        assert body["event"] == "sabor.shift_alert" and body["alert"]["sentence"] == message()["sentence"]
        assert body["alert"]["comments"] == message()["comments"] and body["text"].startswith("Sabor ·")
    elif fmt == "slack":
        assert body["text"].endswith(message()["sentence"])
        kinds = [b["type"] for b in body["blocks"]]
        assert kinds[:2] == ["header", "section"] and kinds[-1] == "actions"
        quotes = next(b["text"]["text"] for b in body["blocks"]
                      if "Comentarios" in b.get("text", {}).get("text", ""))
        assert "&lt;y&gt; &amp; llega" in quotes and quotes.count("\n> ") == 3       # escaped for mrkdwn
        assert body["blocks"][-1]["elements"][0]["url"] == message()["link"]
    else:
        (att,) = body["attachments"]
        assert body["type"] == "message" and att["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = att["content"]
        texts = [b["text"] for b in card["body"]]
        assert card["type"] == "AdaptiveCard" and message()["sentence"] in texts
        assert sum(t.startswith("“") for t in texts) == 3
        assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Ver en Sabor",
                                    "url": message()["link"]}]
    assert rstore.delivery_status(store, "al_test1") == {"webhook": {"status": "sent", "attempts": 1,
                                                                     "last_error": None}}


def test_a_failing_webhook_is_retried_with_backoff_and_recorded(store):
    waits = []
    before_failed, before_sent = sent_count("webhook", "failed"), sent_count("webhook", "sent")
    with WebhookReceiver(statuses=[500, 503]) as hook:
        new_alert(store, ["webhook"])
        policy = notify.RetryPolicy(attempts=3, base_s=0.5, max_attempts=5)
        out = notify.deliver_due(store, [notify.Webhook(hook.url)], policy, sleep=waits.append)
    assert [r.status for r in hook.requests] == [500, 503, 200]
    assert len(hook.delivered) == 1 and out["sent"] == 1
    assert waits == [0.5, 1.0]                                       # exponential backoff between tries
    ids = {r.headers["X-Sabor-Delivery-Id"] for r in hook.requests}
    assert ids == {"al_test1:webhook"}                               # a receiver can drop a repeat
    assert rstore.delivery_status(store, "al_test1")["webhook"] == {"status": "sent", "attempts": 3,
                                                                   "last_error": None}
    assert sent_count("webhook", "failed") - before_failed == 2
    assert sent_count("webhook", "sent") - before_sent == 1


def no_wait(seconds: float) -> None:
    pass


def test_a_webhook_still_failing_waits_for_a_later_run_then_gives_up(store):
    policy = notify.RetryPolicy(attempts=2, base_s=0.0, later_s=0.0, max_attempts=3)
    with WebhookReceiver(statuses=[500] * 10) as hook:
        new_alert(store, ["webhook"])
        assert notify.deliver_due(store, [notify.Webhook(hook.url)], policy, sleep=no_wait)["failed"] == 1
        st = rstore.delivery_status(store, "al_test1")["webhook"]
        assert st == {"status": "failed", "attempts": 2, "last_error": "HTTP 500"}
        # the next run tries again, reaches max_attempts and gives up: it is never tried after that
        assert notify.deliver_due(store, [notify.Webhook(hook.url)], policy, sleep=no_wait)["failed"] == 1
        assert rstore.delivery_status(store, "al_test1")["webhook"]["status"] == "gave_up"
        assert notify.deliver_due(store, [notify.Webhook(hook.url)], policy)["failed"] == 0
    assert len(hook.requests) == 3


def test_a_client_error_is_not_retried_and_a_refused_connection_is(store):
    with WebhookReceiver(statuses=[404]) as hook:
        new_alert(store, ["webhook"])
        notify.deliver_due(store, [notify.Webhook(hook.url)], NO_WAIT, sleep=lambda s: None)
    assert len(hook.requests) == 1
    assert rstore.delivery_status(store, "al_test1")["webhook"]["status"] == "gave_up"
    new_alert(store, ["webhook"], "al_test2", "s2")
    down = notify.Webhook(hook.url)                      # the server is shut down: connection refused
    out = notify.deliver_due(store, [down], NO_WAIT, sleep=lambda s: None)
    st = rstore.delivery_status(store, "al_test2")["webhook"]
    assert out["failed"] == 1 and st["status"] == "failed" and st["attempts"] == 3
    assert "sin respuesta del webhook" in st["last_error"] and hook.url not in st["last_error"]


def test_a_crash_mid_send_is_never_sent_again(store):
    with WebhookReceiver() as hook:
        new_alert(store, ["webhook"])
        rstore.mark_sending(store, "al_test1", "webhook")        # a process died here, after sending or not
        assert notify.deliver_due(store, [notify.Webhook(hook.url)], NO_WAIT)["sent"] == 0
    assert hook.requests == []
    assert rstore.delivery_status(store, "al_test1")["webhook"]["status"] == "unknown"


def test_email_over_starttls_with_login_reaches_a_real_smtp_server(store, tmp_path, monkeypatch):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("sabor.notify").addHandler(handler)
    logging.getLogger("sabor.notify").setLevel(logging.INFO)
    try:
        with SmtpServer(tmp_path) as smtp:
            for k, v in smtp.env().items():
                monkeypatch.setenv(k, v)
            channels = notify.channels_from_env()
            assert [c.name for c in channels] == ["email"]
            new_alert(store, ["email"])
            assert notify.deliver_due(store, channels, NO_WAIT)["sent"] == 1
            assert notify.deliver_due(store, channels, NO_WAIT)["sent"] == 0
            (envelope, tls_on, authenticated), = smtp.messages
    finally:
        logging.getLogger("sabor.notify").removeHandler(handler)
    assert tls_on and authenticated
    assert envelope.mail_from == "sabor@sabor.test" and envelope.rcpt_tos == ["equipo@sabor.test"]
    mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert mail["Subject"] == message()["title"] and mail["Message-ID"] == "<al_test1@sabor.alerts>"
    plain = mail.get_body(("plain",)).get_content()
    html_ = mail.get_body(("html",)).get_content()
    assert message()["sentence"] in plain and message()["link"] in plain
    assert all(f"«{c}»" in plain for c in message()["comments"])
    assert "&lt;y&gt; &amp; llega" in html_
    assert 'href="http://127.0.0.1:8501/tendencias?by=attribute&amp;key' in html_
    assert PASSWORD not in stream.getvalue() and "alert_delivered" in stream.getvalue()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_over_implicit_tls(store, tmp_path, monkeypatch):
    with SmtpServer(tmp_path, implicit_tls=True) as smtp:
        for k, v in smtp.env("ssl").items():
            monkeypatch.setenv(k, v)
        new_alert(store, ["email"])
        assert notify.deliver_due(store, notify.channels_from_env(), NO_WAIT)["sent"] == 1
    assert len(smtp.messages) == 1 and smtp.messages[0][1]


def test_smtp_refuses_to_send_a_password_without_tls_and_a_wrong_ca_fails(store, tmp_path, monkeypatch):
    with SmtpServer(tmp_path) as smtp:
        env = smtp.env("none")
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        new_alert(store, ["email"])
        notify.deliver_due(store, notify.channels_from_env(), NO_WAIT, sleep=lambda s: None)
        st = rstore.delivery_status(store, "al_test1")["email"]
        assert st["status"] == "gave_up" and "sin TLS" in st["last_error"]
        monkeypatch.setenv("SABOR_SMTP_SECURITY", "starttls")
        monkeypatch.delenv("SABOR_SMTP_CA_FILE")          # the system CAs do not know the test CA
        new_alert(store, ["email"], "al_test2", "s2")
        notify.deliver_due(store, notify.channels_from_env(), NO_WAIT, sleep=lambda s: None)
        assert rstore.delivery_status(store, "al_test2")["email"]["status"] == "gave_up"
        assert smtp.messages == []


def test_channels_come_from_the_environment_and_never_show_secrets():
    env = {"SABOR_ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
           "SABOR_SMTP_HOST": "smtp.example.org", "SABOR_SMTP_PASSWORD": "pw-123456",
           "SABOR_ALERT_EMAIL_FROM": "a@b.c", "SABOR_ALERT_EMAIL_TO": "x@y.z, w@y.z"}
    web, mail = notify.channels_from_env(env)
    assert web.fmt == "slack"
    assert (mail.port, mail.security, mail.recipients) == (587, "starttls", ("x@y.z", "w@y.z"))
    shown = str(notify.describe_channels(env))
    assert "XXXXSECRET" not in shown and "pw-123456" not in shown and "hooks.slack.com" in shown
    assert notify.webhook_format("https://prod-1.westeurope.logic.azure.com/workflows/x") == "teams"
    assert notify.webhook_format("https://example.org/hook") == "json"
    assert notify.channels_from_env({}) == []
    with pytest.raises(ValueError, match="SABOR_ALERT_EMAIL_TO"):
        notify.channels_from_env({"SABOR_SMTP_HOST": "smtp.example.org"})
    with pytest.raises(ValueError, match="https"):
        notify.channels_from_env({"SABOR_ALERT_WEBHOOK_URL": "file:///etc/passwd"})
