"""Sending over SMTP, configured by one URL (`CXLOOP_SMTP_URL`):

    smtp://host:25                            plain SMTP (a local relay)
    smtp://user:pass@host:587?starttls=1      STARTTLS, then login (user and password URL-encoded)
    smtps://user:pass@host:465  (or ?ssl=1)   TLS from the first byte

Failures come out as two kinds: MailRejected when the server refused the message for good (5xx: unknown
recipient, policy), MailUnavailable when trying again later may work (no connection, timeouts, 4xx, a login
refused because of configuration), so the caller can mark the invitation failed or leave it for a retry.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

# Short: the worker sends inside a write transaction, and on SQLite every other writer waits meanwhile
# (docs/triggers-and-worker.md, "Failure handling"). A server that slow is treated as down and tried next minute.
TIMEOUT_SECONDS = 10.0
_TRUE = {"1", "true", "yes", "on"}


class MailRejected(Exception):
    """The SMTP server refused the message for good (a 5xx reply)."""


class MailUnavailable(Exception):
    """The message could not be handed over now; a later attempt may succeed."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False


def parse_smtp_url(url: str) -> SmtpTarget:
    """SmtpTarget from `smtp[s]://[user:pass@]host[:port][?starttls=1|ssl=1]`; ValueError naming the problem."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"CXLOOP_SMTP_URL must start with smtp:// or smtps://, not '{parts.scheme}://'")
    if not parts.hostname:
        raise ValueError("CXLOOP_SMTP_URL has no host")
    query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    use_ssl = parts.scheme == "smtps" or query.get("ssl") in _TRUE
    starttls = query.get("starttls") in _TRUE
    if use_ssl and starttls:
        raise ValueError("CXLOOP_SMTP_URL asks for both ssl and starttls; choose one")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("CXLOOP_SMTP_URL has an invalid port") from exc
    default_port = 465 if use_ssl else 587 if starttls else 25
    return SmtpTarget(
        host=parts.hostname,
        port=port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=starttls,
        ssl=use_ssl,
    )


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    if target.ssl:
        return smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
    connection = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT_SECONDS)
    if target.starttls:
        connection.starttls(context=ssl.create_default_context())
    return connection


def send(target: SmtpTarget, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises MailRejected or MailUnavailable."""
    try:
        with _connect(target) as connection:
            if target.username:
                connection.login(target.username, target.password or "")
            connection.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        reasons = "; ".join(_reply(code, text) for code, text in exc.recipients.values())
        if all(code >= 500 for code in codes):
            raise MailRejected(f"recipient refused: {reasons}") from exc
        raise MailUnavailable(f"recipient deferred: {reasons}") from exc
    except smtplib.SMTPAuthenticationError as exc:
        # A refused login is a configuration problem: retrying after it is fixed must still send the invitation.
        raise MailUnavailable(f"SMTP login refused: {_reply(exc.smtp_code, exc.smtp_error)}") from exc
    except smtplib.SMTPResponseException as exc:
        reason = _reply(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code >= 500:
            raise MailRejected(f"message refused: {reason}") from exc
        raise MailUnavailable(f"message deferred: {reason}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailUnavailable(f"could not reach the SMTP server {target.host}:{target.port}: {exc}") from exc


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {message}".strip()
