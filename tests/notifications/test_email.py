"""Email to a person on the team: the message goes through the installation's SMTP server (a real aiosmtpd server),
with the event's summary; a 5xx refusal is final, no SMTP configured is a visible failure."""

from __future__ import annotations

from email import message_from_bytes, policy

from fastapi.testclient import TestClient

from cxloop.core.config import Settings
from cxloop.notifications.enums import DestinationKind
from cxloop.notifications.sender import Sender
from cxloop.storage.database import Database
from cxloop.worker import build_sender
from tests.jobs.conftest import SmtpServer
from tests.jobs.conftest import smtp_server as smtp_server  # noqa: F401 - the fixture
from tests.notifications.conftest import FAST, add_destination, destination, messages, store_feedback


def test_feedback_is_emailed_to_a_subscribed_person(db: Database, settings: Settings, smtp_server: SmtpServer) -> None:
    add_destination(db, "mailto:ops@example.com", kind=DestinationKind.email, events=["feedback.received"])
    [feedback_id] = store_feedback(db, text="Nobody called me back", rating=1)
    configured = settings.model_copy(update={"smtp_url": smtp_server.url, "public_url": "https://cx.example.com"})
    sender = build_sender(configured, db, policy=FAST)
    assert sender.run_pass() == 1
    [envelope] = smtp_server.recorder.envelopes
    assert envelope.rcpt_tos == ["ops@example.com"]
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == "cxloop: feedback.received" and mail["From"] == configured.email_from
    text = mail.get_content()
    assert "rating 1" in text and '"Nobody called me back"' in text
    assert f"https://cx.example.com/api/v1/feedback/{feedback_id}" in text
    assert messages(db)[0].status == "delivered"


def test_without_smtp_the_failure_is_recorded_and_retried(db: Database) -> None:
    hook = add_destination(db, "mailto:ops@example.com", kind=DestinationKind.email)
    store_feedback(db)
    Sender(db, public_url="https://cx.example.com", policy=FAST).run_pass()
    [message] = messages(db)
    assert (message.status, message.last_error) == ("pending", "email is not configured: set CXLOOP_SMTP_URL")
    assert destination(db, hook.id).failures_in_a_row == 1


def test_an_email_destination_takes_one_mailto_address(api: TestClient) -> None:
    made = api.post("/api/v1/webhooks", json={"url": "mailto:ops@example.com", "kind": "email"})
    assert made.status_code == 201 and made.json()["secret"] is None
    for body in (
        {"url": "https://example.com", "kind": "email"},
        {"url": "mailto:ops@example.com", "kind": "webhook"},
        {"url": "mailto:ops@example.com,eve@example.com", "kind": "email"},
        {"url": "mailto:ops@example.com\r\nBcc: eve@example.com", "kind": "email"},
        {"url": "mailto:nobody", "kind": "email"},
    ):
        bad = api.post("/api/v1/webhooks", json=body)
        assert bad.status_code == 422, body
        assert bad.json()["errors"][0]["field"] == "url", bad.json()
