"""Alert delivery: a webhook (JSON; Slack- and Teams-compatible payloads) and e-mail over SMTP, with
retries and backoff, every attempt recorded, nothing sent twice.

Channels are configured from the environment only (secrets never come from a file in the repo, never
reach a log line, the database or the dashboard):

    SABOR_ALERT_WEBHOOK_URL       incoming-webhook URL (Slack, Teams workflow, or any JSON receiver)
    SABOR_ALERT_WEBHOOK_FORMAT    slack | teams | json (default: from the URL's host, else json)
    SABOR_SMTP_HOST, SABOR_SMTP_PORT (587), SABOR_SMTP_SECURITY starttls | ssl | none (starttls)
    SABOR_SMTP_USER, SABOR_SMTP_PASSWORD, SABOR_SMTP_CA_FILE (a private CA bundle, optional)
    SABOR_ALERT_EMAIL_FROM, SABOR_ALERT_EMAIL_TO (comma-separated)

Never twice: each (alert, channel) is one delivery row; it is marked 'sending' (committed) before an
attempt and 'sent' after it, so a crash in between leaves 'unknown' (never re-sent automatically) rather
than a second message. Retries reuse the same `X-Sabor-Delivery-Id` header / `Message-ID`, so a receiver
that did get a timed-out attempt can drop the repeat. A failed delivery is retried within the run with
exponential backoff, then by later runs until `max_attempts`.
"""
from __future__ import annotations

import html
import json
import os
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlsplit

from analysis.ops import metrics
from analysis.ops.logs import get_logger, mask_secrets
from analysis.store import refresh as rstore

log = get_logger("sabor.notify")
USER_AGENT = "Sabor-alerts/1"


class DeliveryError(Exception):
    """A failed attempt. `permanent`: retrying the same request cannot succeed (bad address, refused)."""

    def __init__(self, message: str, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3            # tries within one run
    base_s: float = 2.0          # first wait; doubles each time
    factor: float = 2.0
    max_wait_s: float = 60.0
    later_s: float = 900.0       # a delivery that still failed waits this long before a later run retries it
    max_attempts: int = 8        # over all runs; then the delivery is given up

    @classmethod
    def from_env(cls) -> RetryPolicy:
        e = os.environ
        return cls(attempts=int(e.get("SABOR_ALERT_ATTEMPTS", 3)),
                   base_s=float(e.get("SABOR_ALERT_BACKOFF_S", 2)),
                   max_attempts=int(e.get("SABOR_ALERT_MAX_ATTEMPTS", 8)),
                   later_s=float(e.get("SABOR_ALERT_RETRY_LATER_S", 900)))

    def wait(self, attempt: int) -> float:
        return min(self.max_wait_s, self.base_s * self.factor ** (attempt - 1))


# --- payloads (pure) -------------------------------------------------------------------------------------

def _slack_escape(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(msg: dict) -> dict:
    """Slack incoming-webhook message: `text` (notifications, fallback) and Block Kit blocks."""
    lab = msg["labels"]
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": msg["title"][:150], "emoji": True}},
              {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(msg["sentence"])}}]
    if msg["also_in"]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{lab['also']}:* "
                                                   + _slack_escape("; ".join(msg["also_in"]))}})
    if msg["comments"]:
        quotes = "\n".join(f"> {_slack_escape(c)}" for c in msg["comments"])
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": f"*{lab['comments']}*\n{quotes}"}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"{lab['rules']}: " + _slack_escape(", ".join(msg["rules"]))}]})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": lab["open"]}, "url": msg["link"]}]})
    return {"text": f"{msg['title']}\n{msg['sentence']}", "blocks": blocks}


def teams_payload(msg: dict) -> dict:
    """Microsoft Teams: an Adaptive Card in the message envelope that Teams incoming webhooks and
    Workflows ("post to a channel when a webhook request is received") accept."""
    lab = msg["labels"]
    body = [{"type": "TextBlock", "text": msg["title"], "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": msg["sentence"], "wrap": True}]
    if msg["also_in"]:
        body.append({"type": "TextBlock", "text": f"{lab['also']}: " + "; ".join(msg["also_in"]),
                     "wrap": True, "isSubtle": True})
    if msg["comments"]:
        body.append({"type": "TextBlock", "text": lab["comments"], "weight": "Bolder", "wrap": True})
        body += [{"type": "TextBlock", "text": f"“{c}”", "wrap": True} for c in msg["comments"]]
    body.append({"type": "TextBlock", "text": f"{lab['rules']}: " + ", ".join(msg["rules"]), "wrap": True,
                 "isSubtle": True, "size": "Small"})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body,
            "actions": [{"type": "Action.OpenUrl", "title": lab["open"], "url": msg["link"]}]}
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "contentUrl": None, "content": card}]}


def json_payload(msg: dict, alert_id: str) -> dict:
    """Any other receiver: the alert as data, plus a one-line `text` for chat tools that read it."""
    return {"event": "sabor.shift_alert", "alert_id": alert_id, "text": f"{msg['title']} — {msg['sentence']}",
            "alert": {k: v for k, v in msg.items() if k != "labels"}}


def email_message(msg: dict, sender: str, recipients: list[str], alert_id: str) -> EmailMessage:
    lab = msg["labels"]
    lines = [msg["sentence"], ""]
    if msg["also_in"]:
        lines += [f"{lab['also']}: " + "; ".join(msg["also_in"]), ""]
    if msg["comments"]:
        lines += [f"{lab['comments']}:"] + [f"  «{c}»" for c in msg["comments"]] + [""]
    lines += [f"{lab['rules']}: " + ", ".join(msg["rules"]), f"{lab['open']}: {msg['link']}", ""]
    e = html.escape
    parts = [f"<p><strong>{e(msg['sentence'])}</strong></p>"]
    if msg["also_in"]:
        parts.append(f"<p>{e(lab['also'])}: " + e("; ".join(msg["also_in"])) + "</p>")
    if msg["comments"]:
        parts.append(f"<p>{e(lab['comments'])}:</p>"
                     + "".join(f"<blockquote>{e(c)}</blockquote>" for c in msg["comments"]))
    parts.append(f"<p>{e(lab['rules'])}: {e(', '.join(msg['rules']))}</p>")
    parts.append(f'<p><a href="{e(msg["link"], quote=True)}">{e(lab["open"])}</a></p>')
    m = EmailMessage()
    m["Subject"] = msg["title"]
    m["From"] = sender
    m["To"] = ", ".join(recipients)
    m["Date"] = formatdate(usegmt=True)
    m["Message-ID"] = f"<{alert_id}@sabor.alerts>"
    m["X-Sabor-Alert-Id"] = alert_id
    m.set_content("\n".join(lines))
    m.add_alternative("<html><body>" + "".join(parts) + "</body></html>", subtype="html")
    return m


# --- channels --------------------------------------------------------------------------------------------

def webhook_format(url: str, configured: str | None = None) -> str:
    if configured:
        if configured not in ("slack", "teams", "json"):
            raise ValueError(f"SABOR_ALERT_WEBHOOK_FORMAT debe ser slack, teams o json (no {configured!r})")
        return configured
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("slack.com"):
        return "slack"
    if host.endswith(("webhook.office.com", "logic.azure.com", "powerplatform.com", "powerautomate.com")):
        return "teams"
    return "json"


@dataclass(frozen=True)
class Webhook:
    url: str
    fmt: str = "json"
    timeout: float = 10.0
    name: str = "webhook"

    def describe(self) -> str:
        return f"webhook ({self.fmt}, {urlsplit(self.url).hostname})"

    def payload(self, msg: dict, alert_id: str) -> dict:
        if self.fmt == "slack":
            return slack_payload(msg)
        if self.fmt == "teams":
            return teams_payload(msg)
        return json_payload(msg, alert_id)

    def send(self, msg: dict, alert_id: str) -> None:
        body = json.dumps(self.payload(msg, alert_id), ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
            "X-Sabor-Delivery-Id": f"{alert_id}:{self.name}"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                r.read(1024)
        except urllib.error.HTTPError as e:
            code = e.code
            retry_after = _retry_after(e.headers.get("Retry-After") if e.headers else None)
            raise DeliveryError(f"HTTP {code}", permanent=400 <= code < 500 and code not in (408, 425, 429),
                                retry_after=retry_after) from None
        except (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise DeliveryError(f"sin respuesta del webhook: {type(reason).__name__}: {reason}") from None


def _retry_after(value: str | None) -> float | None:
    try:
        return min(30.0, max(0.0, float(value))) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Email:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    security: str = "starttls"
    user: str | None = None
    password: str | None = None
    ca_file: str | None = None
    timeout: float = 20.0
    name: str = "email"

    def describe(self) -> str:
        return f"e-mail ({self.security}, {self.host}:{self.port} → {', '.join(self.recipients)})"

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file or None)

    def send(self, msg: dict, alert_id: str) -> None:
        if self.user and self.security == "none":
            raise DeliveryError("SABOR_SMTP_SECURITY=none: no se envían credenciales sin TLS", permanent=True)
        message = email_message(msg, self.sender, list(self.recipients), alert_id)
        try:
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=self._context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("SMTP: destinatarios rechazados", permanent=True) from None
        except smtplib.SMTPAuthenticationError as e:
            raise DeliveryError(f"SMTP: autenticación rechazada ({e.smtp_code})", permanent=True) from None
        except smtplib.SMTPResponseException as e:
            raise DeliveryError(f"SMTP {e.smtp_code}", permanent=e.smtp_code >= 500) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError("SMTP: el servidor no ofrece STARTTLS o AUTH", permanent=True) from None
        except ssl.SSLError as e:
            raise DeliveryError(f"SMTP TLS: {e.reason or type(e).__name__}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(f"SMTP sin conexión: {type(e).__name__}: {e}") from None


def channels_from_env(env=None) -> list:
    """The configured channels (none when nothing is set). Raises ValueError on a half-done setup."""
    e = os.environ if env is None else env
    out: list = []
    url = e.get("SABOR_ALERT_WEBHOOK_URL", "").strip()
    if url:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("SABOR_ALERT_WEBHOOK_URL debe empezar por https:// (o http://)")
        out.append(Webhook(url, webhook_format(url, e.get("SABOR_ALERT_WEBHOOK_FORMAT", "").strip() or None),
                           timeout=float(e.get("SABOR_ALERT_TIMEOUT_S", 10))))
    host = e.get("SABOR_SMTP_HOST", "").strip()
    if host:
        to = tuple(a.strip() for a in e.get("SABOR_ALERT_EMAIL_TO", "").split(",") if a.strip())
        sender = e.get("SABOR_ALERT_EMAIL_FROM", "").strip()
        if not to or not sender:
            raise ValueError("con SABOR_SMTP_HOST hacen falta SABOR_ALERT_EMAIL_FROM y SABOR_ALERT_EMAIL_TO")
        security = e.get("SABOR_SMTP_SECURITY", "starttls").strip().lower()
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"SABOR_SMTP_SECURITY debe ser starttls, ssl o none (no {security!r})")
        port = int(e.get("SABOR_SMTP_PORT") or {"starttls": 587, "ssl": 465, "none": 25}[security])
        out.append(Email(host, port, sender, to, security, e.get("SABOR_SMTP_USER") or None,
                         e.get("SABOR_SMTP_PASSWORD") or None, e.get("SABOR_SMTP_CA_FILE") or None,
                         timeout=float(e.get("SABOR_ALERT_TIMEOUT_S", 20))))
    return out


def describe_channels(env=None) -> list[dict]:
    """What the dashboard shows about the channels: kind and target, never a secret."""
    try:
        return [{"channel": c.name, "target": c.describe()} for c in channels_from_env(env)]
    except ValueError as e:
        return [{"channel": "error", "target": str(e)}]


# --- delivering ------------------------------------------------------------------------------------------

def deliver_due(store, channels: list, policy: RetryPolicy | None = None,
                sleep: Callable[[float], None] = time.sleep) -> dict:
    """Attempt every due delivery (new ones, and failed ones whose wait is over) on its channel.
    Returns {"sent", "failed", "waiting", "alerts_sent": [alert ids with a delivery sent now]}."""
    policy = policy or RetryPolicy.from_env()
    by_name = {c.name: c for c in channels}
    rstore.recover_interrupted(store)
    due = rstore.due_deliveries(store, policy.max_attempts)
    sent, failed, waiting, alerts_sent = 0, 0, 0, []
    for d in due.to_dict("records"):
        ch = by_name.get(d["channel"])
        if ch is None:          # the channel was configured when the alert was made, not now
            waiting += 1
            continue
        msg = json.loads(d["message"])
        attempts = int(d["attempts"])
        for i in range(1, policy.attempts + 1):
            rstore.mark_sending(store, d["alert_id"], ch.name)
            attempts += 1
            try:
                ch.send(msg, d["alert_id"])
            except DeliveryError as e:
                err = mask_secrets(str(e))
                metrics.ALERT_DELIVERIES.labels(channel=ch.name, outcome="failed").inc()
                final = e.permanent or i == policy.attempts or attempts >= policy.max_attempts
                give_up = e.permanent or attempts >= policy.max_attempts
                rstore.mark_failed(store, d["alert_id"], ch.name, err,
                                   None if give_up else (policy.later_s if final else 0))
                log.warning("alert_delivery_failed", extra={"channel": ch.name, "alert_id": d["alert_id"],
                                                            "attempt": attempts, "error": err,
                                                            "gave_up": give_up})
                if final:
                    failed += 1
                    break
                sleep(e.retry_after if e.retry_after is not None else policy.wait(i))
            else:
                rstore.mark_sent(store, d["alert_id"], ch.name)
                metrics.ALERT_DELIVERIES.labels(channel=ch.name, outcome="sent").inc()
                log.info("alert_delivered", extra={"channel": ch.name, "alert_id": d["alert_id"],
                                                   "attempt": attempts})
                sent += 1
                alerts_sent.append(d["alert_id"])
                break
    return {"sent": sent, "failed": failed, "waiting": waiting, "alerts_sent": sorted(set(alerts_sent))}
