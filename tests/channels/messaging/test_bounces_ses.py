"""Amazon SES notifications through SNS: messages signed here with an RSA key and a self-signed certificate made
with `cryptography`, the certificate served by a local HTTP server standing in for sns.<region>.amazonaws.com, the
canonical string built from SNS's documentation (independently of cxloop's code)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.channels.email import subscriptions
from cxloop.channels.email import tasks as email_tasks
from cxloop.channels.email.providers import sns_certificates
from cxloop.core.config import Settings
from cxloop.jobs.events import SubscriptionToConfirm
from cxloop.jobs.models import OutboxEvent
from cxloop.storage.database import Database
from tests.channels.messaging.bounce_world import (
    ADDRESS,
    email_allowed,
    invitation_state,
    send_email,
    with_providers,
)
from tests.channels.messaging.conftest import SmtpServer, local_http_server, relay_collecting_jobs

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
PATH = "/webhooks/email/ses"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def certificate_pem(signing_key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(signing_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


class SnsStandIn:
    """Serves the signing certificate and records every GET (certificate fetches, subscription confirmations)."""

    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.paths: list[str] = []
        self.base_url = ""


@pytest.fixture
def sns(certificate_pem: bytes) -> Iterator[SnsStandIn]:
    state = SnsStandIn(certificate_pem)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            body = state.pem if self.path.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return

    sns_certificates._cache.clear()  # each test's server has its own port, so its own URLs
    with local_http_server(Handler) as base_url:
        state.base_url = base_url
        yield state


@pytest.fixture
def settings(settings: Settings, sns: SnsStandIn) -> Settings:
    return with_providers(settings, ses_topic_arns=[TOPIC], ses_sns_url_pattern="^" + re.escape(sns.base_url) + "/")


def _signed(key: rsa.RSAPrivateKey, message: dict[str, str], *, version: str = "1") -> dict[str, str]:
    """Sign as SNS documents: 'Name\\nvalue\\n' for the type's fields in order, RSA PKCS#1 v1.5 over SHA1 (v1)
    or SHA256 (v2)."""
    if message["Type"] == "Notification":
        fields = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        fields = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(text.encode(), padding.PKCS1v15(), digest)
    return {**message, "SignatureVersion": version, "Signature": base64.b64encode(signature).decode()}


def _notification(sns: SnsStandIn, ses_message: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": orjson.dumps(ses_message).decode(),
        "Timestamp": "2026-12-06T12:00:00.000Z",
        "SigningCertURL": f"{sns.base_url}/SimpleNotificationService-0123.pem",
        "UnsubscribeURL": f"{sns.base_url}/?Action=Unsubscribe",
        **extra,
    }


def _bounce(bounce_type: str, message_id: str | None = None) -> dict[str, Any]:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": ADDRESS, "action": "failed", "status": "5.1.1"}],
        },
        "mail": {"messageId": "0102-ses-id", "commonHeaders": {"messageId": message_id}},
    }


def _post(client: TestClient, message: dict[str, str]) -> Any:
    return client.post(PATH, content=orjson.dumps(message), headers={"Content-Type": "text/plain; charset=UTF-8"})


@dataclass(frozen=True)
class Ses:
    """The app's client, the key SNS signs with and the SNS stand-in, for posting signed notifications."""

    client: TestClient
    key: rsa.RSAPrivateKey
    sns: SnsStandIn

    def post(self, ses_message: dict[str, Any], *, version: str = "1", **extra: str) -> Any:
        return _post(self.client, _signed(self.key, _notification(self.sns, ses_message, **extra), version=version))


@pytest.fixture
def ses(client: TestClient, signing_key: rsa.RSAPrivateKey, sns: SnsStandIn) -> Ses:
    return Ses(client, signing_key, sns)


def test_a_permanent_bounce_suppresses_the_address_and_fails_the_invitation(
    db: Database, settings: Settings, smtp_server: SmtpServer, ses: Ses
) -> None:
    sent = send_email(db, settings, smtp_server)
    message = _signed(ses.key, _notification(ses.sns, _bounce("Permanent", sent.message_id), Subject="Bounce"))
    response = _post(ses.client, message)
    assert response.status_code == 200, response.text
    assert response.json()["opted_out_customers"] == [sent.customer_id]
    assert response.json()["failed_invitations"] == [sent.invitation_id]
    assert email_allowed(db, sent.customer_id) is False
    assert invitation_state(db, sent.invitation_id) == ("failed", "bounced", "hard")
    # SNS retries a message it thinks undelivered: the same message again changes nothing, and the certificate
    # is fetched once.
    again = _post(ses.client, message).json()
    assert (again["opted_out_customers"], again["failed_invitations"]) == ([], [])
    assert sum(path.endswith(".pem") for path in ses.sns.paths) == 1


def test_a_complaint_signed_with_version_2_opts_out(
    db: Database, settings: Settings, smtp_server: SmtpServer, ses: Ses
) -> None:
    sent = send_email(db, settings, smtp_server)
    complaint = {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": ADDRESS}], "complaintFeedbackType": "abuse"},
        "mail": {"commonHeaders": {"messageId": sent.message_id}},
    }
    response = ses.post(complaint, version="2")
    assert response.status_code == 200, response.text
    assert response.json()["opted_out_customers"] == [sent.customer_id]
    assert invitation_state(db, sent.invitation_id) == ("failed", "complained", "complaint")


def test_a_transient_bounce_is_recorded_and_suppresses_nothing(
    db: Database, settings: Settings, smtp_server: SmtpServer, ses: Ses
) -> None:
    sent = send_email(db, settings, smtp_server)
    response = ses.post(_bounce("Transient", sent.message_id))
    assert response.status_code == 200
    assert (response.json()["ignored"], response.json()["opted_out_customers"]) == (1, [])
    assert email_allowed(db, sent.customer_id) is None
    assert invitation_state(db, sent.invitation_id) == ("sent", "deferred", "soft")
    delivery = {"notificationType": "Delivery", "mail": {}}
    assert ses.post(delivery).json()["skipped"] == 1


def test_forged_or_foreign_messages_get_401_and_change_nothing(
    db: Database, settings: Settings, smtp_server: SmtpServer, ses: Ses
) -> None:
    sent = send_email(db, settings, smtp_server)
    signing_key, sns = ses.key, ses.sns
    good = _signed(signing_key, _notification(sns, _bounce("Permanent", sent.message_id)))
    tampered = {**good, "Message": good["Message"].replace(ADDRESS, "other@example.com")}
    other_topic = _signed(signing_key, {**_notification(sns, _bounce("Permanent")), "TopicArn": TOPIC + "-2"})
    elsewhere = _signed(
        signing_key, _notification(sns, _bounce("Permanent"), SigningCertURL="http://evil.example/cert.pem")
    )
    unknown_version = {**good, "SignatureVersion": "3"}
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong_key = _signed(forger, _notification(sns, _bounce("Permanent")))
    for message, reason in (
        (tampered, "does not match"),
        (other_topic, "CXLOOP_SES_TOPIC_ARNS"),
        (elsewhere, "not an Amazon SNS address"),
        (unknown_version, "SignatureVersion"),
        (wrong_key, "does not match"),
    ):
        response = _post(ses.client, message)
        assert response.status_code == 401, (reason, response.text)
        assert reason in response.json()["detail"]
    assert email_allowed(db, sent.customer_id) is None
    assert not any("evil" in path for path in sns.paths)


def test_bad_bodies_get_422_naming_the_field(
    settings: Settings, client: TestClient, signing_key: rsa.RSAPrivateKey, sns: SnsStandIn
) -> None:
    not_json = client.post(PATH, content=b"{nope")
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["field"] == "body"
    no_topic = client.post(PATH, json={"Type": "Notification", "Message": "{}"})
    assert no_topic.status_code == 422
    assert {e["field"] for e in no_topic.json()["errors"]} == {"MessageId"}
    no_recipients = {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}}
    response = _post(client, _signed(signing_key, _notification(sns, no_recipients)))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Message.bounce.bouncedRecipients"
    too_large = client.post(PATH, content=b"x" * (1024 * 1024 + 1))
    assert too_large.status_code == 413


def test_a_subscription_is_confirmed_by_the_worker_not_by_the_webhook(
    db: Database, settings: Settings, client: TestClient, signing_key: rsa.RSAPrivateKey, sns: SnsStandIn
) -> None:
    subscribe_url = f"{sns.base_url}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37"
    message = _signed(
        signing_key,
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "2336412f37",
            "TopicArn": TOPIC,
            "Message": f"You have chosen to subscribe to the topic {TOPIC}.",
            "SubscribeURL": subscribe_url,
            "Timestamp": "2026-12-06T12:00:00.000Z",
            "SigningCertURL": f"{sns.base_url}/SimpleNotificationService-0123.pem",
        },
    )
    response = _post(client, message)
    assert response.status_code == 200 and response.json()["subscription_confirmation"] is True
    assert not any("ConfirmSubscription" in path for path in sns.paths)  # nothing left the process yet
    with db.unit_of_work() as session:
        (payload,) = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.name == "email.subscription_confirmation")
        )
    assert payload == {"topic_arn": TOPIC, "subscribe_url": subscribe_url}

    assert relay_collecting_jobs(db) == [(email_tasks.CONFIRM_JOB, payload)]
    assert not any("ConfirmSubscription" in path for path in sns.paths)

    class Runtime:
        def __init__(self, settings: Settings) -> None:
            self.settings = settings

    job = SubscriptionToConfirm.model_validate(payload)
    email_tasks.confirm_subscription(Runtime(settings), job)
    assert [path for path in sns.paths if "ConfirmSubscription" in path] == [subscribe_url.removeprefix(sns.base_url)]


def test_the_webhook_refuses_everything_until_enabled(db: Database, settings: Settings) -> None:
    from cxloop.app import create_app  # noqa: PLC0415

    disabled = settings.model_copy(update={"email_bounce_providers": ["postmark"]})
    with TestClient(create_app(disabled, database=db)) as client:
        response = client.post(PATH, json={})
    assert response.status_code == 401 and "CXLOOP_EMAIL_BOUNCE_PROVIDERS" in response.json()["detail"]


def test_a_certificate_url_that_serves_no_certificate_gets_401(
    settings: Settings, client: TestClient, signing_key: rsa.RSAPrivateKey, sns: SnsStandIn
) -> None:
    message = _signed(
        signing_key, _notification(sns, _bounce("Permanent"), SigningCertURL=f"{sns.base_url}/not-a-cert")
    )
    response = _post(client, message)
    assert response.status_code == 401 and "does not hold a PEM certificate" in response.json()["detail"]
    gone = _signed(signing_key, _notification(sns, _bounce("Permanent"), SigningCertURL="http://127.0.0.1:9/x.pem"))
    settings_pattern = settings.ses_sns_url_pattern
    assert not sns_certificates.allowed_url(gone["SigningCertURL"], settings_pattern)  # another port: refused first
    assert _post(client, gone).status_code == 401


def test_a_confirmation_goes_only_to_an_sns_address_and_fails_loudly_when_unreachable(
    sns: SnsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    pattern = "^" + re.escape(sns.base_url) + "/"
    subscriptions.confirm("http://elsewhere.example/?Action=ConfirmSubscription", topic_arn=TOPIC, url_pattern=pattern)
    assert "not an SNS address" in caplog.text and sns.paths == []
    with pytest.raises(subscriptions.ConfirmationFailed, match=TOPIC):
        subscriptions.confirm("http://127.0.0.1:9/?Action=ConfirmSubscription", topic_arn=TOPIC, url_pattern="^http://")
