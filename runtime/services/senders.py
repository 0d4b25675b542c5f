"""Senders at the edge: e-mail over SMTP (stdlib smtplib) and SMS through an HTTP
gateway. A send either returns (delivered), raises `Undeliverable` (the address can
never work: an SMTP 5xx reply, a gateway 4xx), or raises `SendFailed` (try later)."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlsplit

TIMEOUT = 15.0


class SendFailed(Exception):
    """The channel is away for now: the job is retried with backoff."""


class Undeliverable(SendFailed):
    """The address is refused for good: reported on the job, never retried by itself."""


class Mailer:
    """E-mail over SMTP; the Message-ID is the idempotency key the receiver sees."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 25
        self.sender = sender

    def send(self, to: str, subject: str, body: str, key: str) -> None:
        """Send one message with ``Message-ID: <key@onewindow>``."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = f"<{key}@onewindow>"
        message["Date"] = formatdate(localtime=True)
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise Undeliverable(f"SMTP {codes[0]}: {to} refused") from None
            raise SendFailed(f"SMTP {codes[0]}: {to} not accepted now") from None
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            kind = Undeliverable if exc.smtp_code >= 500 else SendFailed
            raise kind(f"SMTP {exc.smtp_code}: {error}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailed(f"SMTP {self.host}:{self.port} unreachable: {exc}") from None


class SmsGateway:
    """SMS through an HTTP gateway: ``POST {"to", "text"}`` with an Idempotency-Key."""

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, to: str, text: str, key: str) -> None:
        """Post one message; 2xx is delivered, 4xx refused for good, anything else later."""
        request = urllib.request.Request(
            self.url, data=json.dumps({"to": to, "text": text}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
            method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            kind = Undeliverable if 400 <= exc.code < 500 else SendFailed
            raise kind(f"SMS gateway {exc.code}: {exc.reason}") from None
        except OSError as exc:
            raise SendFailed(f"SMS gateway unreachable: {exc}") from None
