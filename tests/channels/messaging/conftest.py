"""Real counterparts for the email and SMS channels: an SMTP server (aiosmtpd) on a free local port, and a local
HTTP server that answers like Twilio's REST API and records every request. `settings` points cxloop at both."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from cxloop.core.config import Settings
from cxloop.jobs import dispatch
from cxloop.storage.database import Database
from cxloop.worker import build_relay
from tests.channels.messaging.world import (
    EMAIL_WEBHOOK_SECRET,
    PUBLIC_URL,
    SMS_ACCOUNT_SID,
    SMS_AUTH_TOKEN,
    SMS_FROM,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpRecorder:
    """An aiosmtpd handler keeping every message; recipients in `refuse` get a permanent 550."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            raw = envelope.original_content or envelope.content
            assert isinstance(raw, bytes)
            message = message_from_bytes(raw, policy=policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: SmtpRecorder

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    recorder = SmtpRecorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, recorder)
    finally:
        controller.stop()


@contextmanager
def local_http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free local port in a thread; its base URL (http://127.0.0.1:<port>)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class TwilioCall:
    """One request the fake provider received."""

    path: str
    authorization: str
    content_type: str
    form: dict[str, list[str]]

    @property
    def basic_auth(self) -> tuple[str, str]:
        scheme, _, value = self.authorization.partition(" ")
        assert scheme == "Basic"
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password


@dataclass
class TwilioServer:
    """A local stand-in for api.twilio.com: records calls and answers 201 with a message SID, or `fail_with`."""

    base_url: str
    calls: list[TwilioCall] = field(default_factory=list)
    fail_with: tuple[int, dict[str, Any]] | None = None

    def sent_bodies(self) -> list[str]:
        return [call.form["Body"][0] for call in self.calls]


@pytest.fixture
def sms_server() -> Iterator[TwilioServer]:
    state = TwilioServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            state.calls.append(
                TwilioCall(
                    path=self.path,
                    authorization=self.headers.get("Authorization", ""),
                    content_type=self.headers.get("Content-Type", ""),
                    form=parse_qs(body, keep_blank_values=True),
                )
            )
            if state.fail_with is not None:
                code, payload = state.fail_with
            else:
                code, payload = 201, {"sid": f"SM{len(state.calls):032x}", "status": "queued"}
            reply = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return

    with local_http_server(Handler) as base_url:
        state.base_url = base_url
        yield state


def messaging_settings(
    db_url: str, tmp_path: Path, smtp_server: SmtpServer, sms_server: TwilioServer, **more: Any
) -> Settings:
    """Settings pointed at the local SMTP server and the local Twilio stand-in (plus `more`)."""
    return Settings(
        environment="test",
        database_url=db_url,
        data_dir=tmp_path / "data",
        public_url=PUBLIC_URL,
        smtp_url=smtp_server.url,
        email_from="Acme Feedback <feedback@acme.example>",
        email_webhook_secret=SecretStr(EMAIL_WEBHOOK_SECRET),
        sms_base_url=sms_server.base_url,
        sms_account_sid=SMS_ACCOUNT_SID,
        sms_auth_token=SecretStr(SMS_AUTH_TOKEN),
        sms_from=SMS_FROM,
        **more,
    )


@pytest.fixture
def settings(db_url: str, tmp_path: Path, smtp_server: SmtpServer, sms_server: TwilioServer) -> Settings:
    """The app's settings, pointed at the local SMTP server and the local Twilio stand-in."""
    return messaging_settings(db_url, tmp_path, smtp_server, sms_server)


def relay_collecting_jobs(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """Relay every outbox event to its handlers; the jobs they queued after commit (name, payload), not run."""
    queued: list[tuple[str, dict[str, Any]]] = []
    previous = dispatch.installed()
    dispatch.install(lambda name, job_payload: queued.append((name, job_payload)))
    try:
        relay = build_relay(db)
        while relay.run_pass():
            pass
    finally:
        dispatch.install(previous)
    return queued
