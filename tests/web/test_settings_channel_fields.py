"""Settings · Channels, the SMS provider, the helpdesk webhooks' secrets and the email bounce webhooks over HTTP
(SQLite and PostgreSQL): stored sealed over the environment's, write-only, read at once by the SMS, helpdesk and
bounce webhooks, refused when malformed,
forgotten with "use the environment's settings again", audited without a secret, admins only."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.channels.configuration import service as configuration
from cxloop.channels.configuration.models import ChannelSetting
from cxloop.channels.sms import signature
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.channels.helpdesk.conftest import fixture, generic_headers
from tests.web.conftest import csrf_token, make_user, sign_in, signed_in_client
from tests.web.test_settings_pages import post

PAGE = "/settings/channels"
SID, TOKEN = "AC0123456789abcdef0123456789abcd", "twilio-token-value-0123"
GENERIC = "stored-generic-secret-value"
STATUS = "/webhooks/sms/twilio/status"


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return post(client, path, data, page=PAGE)


def _rows(db: Database) -> dict[str, ChannelSetting]:
    with db.unit_of_work() as session:
        return {row.name: row for row in session.scalars(select(ChannelSetting))}


def _changes(db: Database) -> list[tuple[str | None, dict[str, Any]]]:
    with db.unit_of_work() as session:
        query = select(AuditEntry).where(AuditEntry.action == "channel_settings.changed").order_by(AuditEntry.id)
        return [(entry.target_id, entry.changes) for entry in session.scalars(query)]


def test_helpdesk_secrets_stored_here_sign_the_webhooks(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    body = orjson.dumps(fixture("generic_ticket_solved.json"))
    url = "/webhooks/helpdesk/generic"
    refused = client.post(url, content=body, headers=generic_headers(body, secret=GENERIC))
    assert refused.status_code == 401 and "CXLOOP_HELPDESK_WEBHOOK_SECRET" in refused.text
    saved = _post(client, f"{PAGE}/helpdesk", {"helpdesk_webhook_secret": GENERIC})
    assert saved.headers["location"] == f"{PAGE}?done=helpdesk-saved"
    assert client.post(url, content=body, headers=generic_headers(body, secret=GENERIC)).status_code == 200
    forged = client.post(url, content=body, headers=generic_headers(body, secret="another-secret-value"))
    assert forged.status_code == 401
    row = _rows(db)["helpdesk_webhook_secret"]
    assert row.sealed and GENERIC not in row.value
    page = client.get(PAGE).text
    assert GENERIC not in page and "set here; empty keeps it" in page
    assert _changes(db) == [("helpdesk", {"helpdesk_webhook_written": "set"})]
    # an empty secret keeps the stored one
    assert _post(client, f"{PAGE}/helpdesk", {"helpdesk_webhook_secret": ""}).status_code == 303
    assert client.post(url, content=body, headers=generic_headers(body, secret=GENERIC)).status_code == 200


def test_sms_settings_stored_here_are_used_by_the_status_webhook(
    client: TestClient, db: Database, settings: Settings
) -> None:
    signed_in_client(client, db, Role.admin)
    params = [("MessageSid", "SM0123456789"), ("MessageStatus", "delivered")]
    before = client.post(STATUS, data=dict(params), headers={"X-Twilio-Signature": "x"})
    assert before.status_code == 401 and "CXLOOP_SMS_AUTH_TOKEN" in before.text
    form = {"sms_account_sid": SID, "sms_auth_token": TOKEN, "sms_from": "+15017122661"}
    assert _post(client, f"{PAGE}/sms", form).headers["location"] == f"{PAGE}?done=sms-saved"
    rows = _rows(db)
    assert rows["sms_account_sid"].sealed and rows["sms_auth_token"].sealed and not rows["sms_from"].sealed
    with db.unit_of_work() as session:
        effective = configuration.effective(session, settings)
    assert effective.sms_account_sid == SID and effective.sms_from == "+15017122661"
    assert effective.sms_auth_token is not None and effective.sms_auth_token.get_secret_value() == TOKEN
    page = client.get(PAGE).text
    assert SID not in page and TOKEN not in page and "set here, ends …abcd" in page
    assert 'value="+15017122661"' in page

    unsigned = client.post(STATUS, data=dict(params), headers={"X-Twilio-Signature": "x"})
    assert unsigned.status_code == 401 and "does not match" in unsigned.text
    signed = signature.compute(f"{settings.public_url.rstrip('/')}{STATUS}", params, TOKEN)
    accepted = client.post(STATUS, data=dict(params), headers={"X-Twilio-Signature": signed})
    assert accepted.status_code != 401, accepted.text
    [(channel, changes)] = _changes(db)
    assert channel == "sms" and changes["sms_auth_written"] == "set" and changes["sms_from"] == [None, "+15017122661"]
    assert TOKEN not in str(changes) and SID not in str(changes)

    reset = _post(client, f"{PAGE}/sms/reset", {})
    assert reset.headers["location"] == f"{PAGE}?done=sms-reset" and _rows(db) == {}
    assert _changes(db)[-1] == ("sms", {"cleared": ["sms_account_sid", "sms_auth_token", "sms_from"]})
    assert _post(client, f"{PAGE}/fax/reset", {}).status_code == 404


def test_bad_channel_fields_are_named_beside_them_and_nothing_is_stored(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    cases = [
        ("sms", {"sms_account_sid": "AC 12"}, "sms-sms_account_sid-error", "letters and digits"),
        ("sms", {"sms_auth_token": "short"}, "sms-sms_auth_token-error", "8 to 500 characters"),
        ("sms", {"sms_from": "5017122661"}, "sms-sms_from-error", "with its country code"),
        ("helpdesk", {"zendesk_webhook_secret": "has space s"}, "helpdesk-zendesk_webhook_secret-error", "without"),
    ]
    for channel, change, error_id, reason in cases:
        refused = _post(client, f"{PAGE}/{channel}", {"sms_from": "+15017122661", **change})
        assert refused.status_code == 422, change
        assert f'id="{error_id}"' in refused.text and reason in refused.text, change
    assert _rows(db) == {} and _changes(db) == []


def test_channel_settings_need_the_admin_role(client: TestClient, db: Database) -> None:
    for role in (Role.viewer, Role.agent, Role.analyst):
        other = TestClient(client.app)
        sign_in(other, make_user(db, role))
        token = csrf_token(other.get("/account").text)
        for path in (f"{PAGE}/sms", f"{PAGE}/helpdesk", f"{PAGE}/sms/reset"):
            refused = other.post(path, data={"sms_auth_token": TOKEN, "csrf_token": token})
            assert refused.status_code == 403 and "needs the admin role" in refused.text, (role, path)
    assert _rows(db) == {}


def _mailgun_signed(key: str, event: dict[str, Any]) -> dict[str, Any]:
    stamp, token = str(int(time.time())), uuid.uuid4().hex + uuid.uuid4().hex[:18]
    signature = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": stamp, "token": token, "signature": signature}, "event-data": event}


def test_bounce_webhooks_enabled_and_signed_with_what_is_stored_here(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    mailgun_key, shared = "key-stored-mailgun-0123456789", "stored-bounce-secret-value"
    opened = {"event": "opened", "recipient": "kim@example.com"}
    off = client.post("/webhooks/email/mailgun", json=_mailgun_signed(mailgun_key, opened))
    assert off.status_code == 401 and "add 'mailgun' to CXLOOP_EMAIL_BOUNCE_PROVIDERS" in off.text
    bounce = {"type": "bounce", "email": "nobody@example.com"}
    bearer = {"Authorization": f"Bearer {shared}"}
    assert client.post("/webhooks/email/events", json=bounce, headers=bearer).status_code == 401

    form = {"email_bounce_providers": "mailgun, postmark", "mailgun_webhook_signing_key": mailgun_key}
    saved = _post(client, f"{PAGE}/bounces", {**form, "email_webhook_secret": shared, "postmark_webhook_user": "pm"})
    assert saved.headers["location"] == f"{PAGE}?done=bounces-saved"
    taken = client.post("/webhooks/email/mailgun", json=_mailgun_signed(mailgun_key, opened))
    assert taken.status_code == 200 and taken.json()["skipped"] == 1, taken.text
    forged = client.post("/webhooks/email/mailgun", json=_mailgun_signed("key-another-one-0123456", opened))
    assert forged.status_code == 401
    generic = client.post("/webhooks/email/events", json=bounce, headers=bearer)
    assert generic.status_code == 200 and generic.json()["unmatched"] == 1, generic.text
    rows = _rows(db)
    assert rows["mailgun_webhook_signing_key"].sealed and mailgun_key not in rows["mailgun_webhook_signing_key"].value
    assert rows["email_bounce_providers"].value == "mailgun, postmark" and not rows["email_bounce_providers"].sealed
    page = client.get(PAGE).text
    assert mailgun_key not in page and shared not in page
    shown = 'id="bounces-email_bounce_providers" name="email_bounce_providers" type="text" value="mailgun, postmark"'
    assert shown in page
    assert "mailgun, postmark (set in the app, over the environment)" in page
    [(target, changes)] = _changes(db)
    assert target == "bounces" and changes["email_bounce_providers"] == ["", "mailgun, postmark"]
    assert changes["postmark_webhook_user"] == [None, "pm"]
    assert changes["mailgun_webhook_signing_key_written"] == "set" and shared not in str(changes)

    refused = _post(client, f"{PAGE}/bounces", {"email_bounce_providers": "mailgun, pigeon", "ses_topic_arns": "x"})
    assert refused.status_code == 422
    assert 'id="bounces-email_bounce_providers-error">names among ses, postmark, sendgrid, mailgun' in refused.text
    assert 'id="bounces-ses_topic_arns-error">topic ARNs like' in refused.text
    assert _rows(db)["email_bounce_providers"].value == "mailgun, postmark", "nothing changed"

    reset = _post(client, f"{PAGE}/bounces/reset", {})
    assert reset.headers["location"] == f"{PAGE}?done=bounces-reset"
    again = client.post("/webhooks/email/mailgun", json=_mailgun_signed(mailgun_key, opened))
    assert again.status_code == 401 and _rows(db) == {}
