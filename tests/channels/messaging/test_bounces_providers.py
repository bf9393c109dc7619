"""The bounce webhooks of Postmark (basic auth), SendGrid (ECDSA P-256, checked against SendGrid's own
EventWebhook verifier from the `sendgrid` package) and Mailgun (HMAC-SHA256, timestamp window, tokens seen once),
with each provider's documented payloads, through the real app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sendgrid.helpers.eventwebhook import EventWebhook

from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.channels.messaging.bounce_world import (
    ADDRESS,
    MAILGUN_KEY,
    POSTMARK_PASSWORD,
    POSTMARK_USER,
    email_allowed,
    invitation_state,
    send_email,
    with_providers,
)
from tests.channels.messaging.conftest import SmtpServer

SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(
    SENDGRID_KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
).decode()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_providers(settings, sendgrid_webhook_public_key=SENDGRID_PUBLIC)


# --- Postmark -------------------------------------------------------------------------------------------------


def _postmark(client: TestClient, record: dict[str, Any], *, password: str = POSTMARK_PASSWORD) -> Any:
    return client.post("/webhooks/email/postmark", json=record, auth=(POSTMARK_USER, password))


def _postmark_bounce(kind: str) -> dict[str, Any]:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": ADDRESS,
        "From": "feedback@acme.example",
        "BouncedAt": "2026-12-06T12:00:00Z",
        "Inactive": True,
        "MessageStream": "outbound",
    }


def test_postmark_hard_bounces_and_spam_complaints_suppress_soft_ones_do_not(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    sent = send_email(db, settings, smtp_server)
    soft = _postmark(client, _postmark_bounce("SoftBounce"))
    assert soft.status_code == 200 and soft.json()["ignored"] == 1
    assert email_allowed(db, sent.customer_id) is None
    assert _postmark(client, {"RecordType": "Delivery", "Email": ADDRESS}).json()["skipped"] == 1
    hard = _postmark(client, _postmark_bounce("HardBounce"))
    assert hard.status_code == 200, hard.text
    assert hard.json()["opted_out_customers"] == [sent.customer_id]
    assert email_allowed(db, sent.customer_id) is False
    complaint = _postmark(client, {**_postmark_bounce("SpamComplaint"), "RecordType": "SpamComplaint"})
    assert complaint.status_code == 200 and complaint.json()["opted_out_customers"] == []  # opted out already


def test_postmark_needs_the_credentials_from_the_url(db: Database, settings: Settings, client: TestClient) -> None:
    assert _postmark(client, _postmark_bounce("HardBounce"), password="wrong").status_code == 401
    unauthenticated = client.post("/webhooks/email/postmark", json=_postmark_bounce("HardBounce"))
    assert unauthenticated.status_code == 401 and "user:password@" in unauthenticated.json()["detail"]
    bad = _postmark(client, {**_postmark_bounce("HardBounce"), "Email": "not an address"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "Email"
    assert _postmark(client, {"Type": "HardBounce"}).json()["errors"][0]["field"] == "RecordType"


# --- SendGrid -------------------------------------------------------------------------------------------------


def _sendgrid_headers(body: bytes, *, key: ec.EllipticCurvePrivateKey = SENDGRID_KEY) -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    return {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": signature,
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


def test_sendgrid_events_signed_as_sendgrid_verifies_them(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    sent = send_email(db, settings, smtp_server)
    events = [
        {"email": ADDRESS, "timestamp": 1765000000, "smtp-id": sent.message_id, "event": "processed"},
        {
            "email": ADDRESS,
            "timestamp": 1765000001,
            "smtp-id": sent.message_id,
            "event": "deferred",
            "response": "400 try again later",
            "attempt": "1",
        },
        {
            "email": ADDRESS,
            "timestamp": 1765000002,
            "smtp-id": sent.message_id,
            "event": "bounce",
            "type": "bounce",
            "reason": "550 5.1.1 unknown user",
            "status": "5.1.1",
            "sg_event_id": "b1",
            "sg_message_id": "m1",
        },
    ]
    body = orjson.dumps(events)
    headers = _sendgrid_headers(body)
    # SendGrid's own verifier agrees that this is SendGrid's signature scheme.
    verifier = EventWebhook(SENDGRID_PUBLIC)
    assert verifier.verify_signature(
        body.decode(),
        headers["X-Twilio-Email-Event-Webhook-Signature"],
        headers["X-Twilio-Email-Event-Webhook-Timestamp"],
    )
    response = client.post("/webhooks/email/sendgrid", content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["received"], answer["skipped"], answer["ignored"]) == (3, 1, 1)
    assert (answer["opted_out_customers"], answer["failed_invitations"]) == ([sent.customer_id], [sent.invitation_id])
    assert invitation_state(db, sent.invitation_id) == ("failed", "bounced", "hard")


def test_sendgrid_spam_reports_opt_out_and_forged_events_get_401(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    sent = send_email(db, settings, smtp_server)
    body = orjson.dumps([{"email": ADDRESS, "timestamp": 1765000000, "event": "spamreport"}])
    forged = client.post(
        "/webhooks/email/sendgrid",
        content=body,
        headers=_sendgrid_headers(body, key=ec.generate_private_key(ec.SECP256R1())),
    )
    assert forged.status_code == 401
    tampered_headers = _sendgrid_headers(body)
    tampered = client.post(
        "/webhooks/email/sendgrid", content=body.replace(b"spamreport", b"bounce"), headers=tampered_headers
    )
    assert tampered.status_code == 401
    unsigned = client.post("/webhooks/email/sendgrid", content=body)
    assert unsigned.status_code == 401 and "X-Twilio-Email-Event-Webhook-Signature" in unsigned.json()["detail"]
    assert email_allowed(db, sent.customer_id) is None
    response = client.post("/webhooks/email/sendgrid", content=body, headers=_sendgrid_headers(body))
    assert response.json()["opted_out_customers"] == [sent.customer_id]
    not_a_list = orjson.dumps({"event": "bounce"})
    refused = client.post("/webhooks/email/sendgrid", content=not_a_list, headers=_sendgrid_headers(not_a_list))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body"
    no_email = orjson.dumps([{"event": "bounce"}])
    refused = client.post("/webhooks/email/sendgrid", content=no_email, headers=_sendgrid_headers(no_email))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "0.email"


# --- Mailgun --------------------------------------------------------------------------------------------------


def _mailgun(
    event: dict[str, Any], *, timestamp: int | None = None, token: str | None = None, key: str = MAILGUN_KEY
) -> dict[str, Any]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    token = token or uuid.uuid4().hex + uuid.uuid4().hex[:18]
    signature = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": stamp, "token": token, "signature": signature}, "event-data": event}


def _failed(severity: str, message_id: str) -> dict[str, Any]:
    return {
        "event": "failed",
        "severity": severity,
        "reason": "bounce" if severity == "permanent" else "generic",
        "recipient": ADDRESS,
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": 1765000000.0,
        "message": {"headers": {"message-id": message_id.strip("<>"), "to": ADDRESS}},
        "delivery-status": {"code": 550, "message": "5.1.1 The email account does not exist", "description": ""},
    }


def test_mailgun_permanent_failures_suppress_temporary_ones_do_not(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    sent = send_email(db, settings, smtp_server)
    temporary = client.post("/webhooks/email/mailgun", json=_mailgun(_failed("temporary", sent.message_id)))
    assert temporary.status_code == 200 and temporary.json()["ignored"] == 1
    assert invitation_state(db, sent.invitation_id) == ("sent", "deferred", "soft")
    permanent = client.post("/webhooks/email/mailgun", json=_mailgun(_failed("permanent", sent.message_id)))
    assert permanent.status_code == 200, permanent.text
    assert permanent.json()["failed_invitations"] == [sent.invitation_id]
    assert email_allowed(db, sent.customer_id) is False
    assert invitation_state(db, sent.invitation_id) == ("failed", "bounced", "hard")
    complained = client.post("/webhooks/email/mailgun", json=_mailgun({"event": "complained", "recipient": ADDRESS}))
    assert complained.status_code == 200 and complained.json()["received"] == 1
    opened = client.post("/webhooks/email/mailgun", json=_mailgun({"event": "opened", "recipient": ADDRESS}))
    assert opened.json()["skipped"] == 1


def test_mailgun_refuses_wrong_signatures_stale_timestamps_and_replays(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    sent = send_email(db, settings, smtp_server)
    event = _failed("permanent", sent.message_id)
    wrong = client.post("/webhooks/email/mailgun", json=_mailgun(event, key="another-key"))
    assert wrong.status_code == 401 and "does not match" in wrong.json()["detail"]
    stale = client.post("/webhooks/email/mailgun", json=_mailgun(event, timestamp=int(time.time()) - 3600))
    assert stale.status_code == 401 and "timestamp" in stale.json()["detail"]
    unsigned = client.post("/webhooks/email/mailgun", json={"event-data": event})
    assert unsigned.status_code == 401
    assert email_allowed(db, sent.customer_id) is None
    once = _mailgun(event)
    assert client.post("/webhooks/email/mailgun", json=once).status_code == 200
    replayed = client.post("/webhooks/email/mailgun", json=once)
    assert replayed.status_code == 401 and "replay" in replayed.json()["detail"]
    no_recipient = client.post("/webhooks/email/mailgun", json=_mailgun({"event": "failed"}))
    assert no_recipient.status_code == 422 and no_recipient.json()["errors"][0]["field"] == "event-data.recipient"
