"""Delivery status callbacks of invitation SMS: the sender asks for them, Twilio posts them signed (computed here by
the official `twilio` package's RequestValidator), and cxloop records them forward-only on the invitation, fails it
on undelivered/failed, and falls back to the rule's next channel through the outbox."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from cxloop.access.enums import Role
from cxloop.channels.delivery import deliver
from cxloop.core.config import Settings
from cxloop.invitations import service as invitations
from cxloop.jobs.models import OutboxEvent
from cxloop.storage.database import Database
from cxloop.worker import build_relay
from tests.channels.messaging.conftest import TwilioServer
from tests.channels.messaging.world import (
    PUBLIC_URL,
    SMS_ACCOUNT_SID,
    SMS_AUTH_TOKEN,
    make_customer,
    make_survey,
    noon_today,
    opt_in_sms,
    signer_of,
)
from tests.conftest import make_key
from tests.factories.triggers import make_rule

PHONE = "+4915112345678"
STATUS_PATH = "/webhooks/sms/twilio/status"


def _sms_invitation(db: Database, settings: Settings, *, rule_fallbacks: list[str] | None = None) -> tuple[int, str]:
    """(invitation id, message sid) of an SMS invitation sent through the fake provider; with `rule_fallbacks` it
    comes from a trigger rule sending by SMS with those fallbacks."""
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, phone=PHONE, email="ana@example.com", locale="en")
        opt_in_sms(session, customer.id)
        rule_id = None
        if rule_fallbacks is not None:
            rule_id = make_rule(session, survey, channel="sms", fallbacks=rule_fallbacks).id
        request = invitations.InviteRequest(
            survey_id=survey.id, customer_id=customer.id, channel="sms", rule_id=rule_id, occurrence_key="first", at=at
        )
        invitation = invitations.invite(session, request, now=at)
        assert invitation.status == "scheduled", invitation.reason
    deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    with db.unit_of_work() as session:
        sent = invitations.get(session, invitation.id)
        assert sent.status == "sent" and sent.detail is not None
        return sent.id, sent.detail


def _status(
    client: TestClient,
    invitation_id: int | str,
    sid: str,
    status: str,
    *,
    error_code: str | None = None,
    signed_for: str | None = None,
    token: str = SMS_AUTH_TOKEN,
) -> Response:
    """Post a status callback as Twilio does: every field it sends, signed by Twilio's own RequestValidator."""
    url = f"{PUBLIC_URL}{STATUS_PATH}?invitation={invitation_id}"
    form = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": PHONE,
        "MessageSid": sid,
        "AccountSid": SMS_ACCOUNT_SID,
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        form["ErrorCode"] = error_code
    signature = RequestValidator(token).compute_signature(signed_for or url, form)
    return client.post(
        f"{STATUS_PATH}?invitation={invitation_id}",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
    )


def _delivery(db: Database, invitation_id: int) -> tuple[str, str | None, str | None]:
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        return invitation.status, invitation.delivery_status, invitation.delivery_error


def _event_names(db: Database) -> list[str]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(OutboxEvent.name).order_by(OutboxEvent.id)))


def test_the_invitation_sms_asks_for_status_callbacks_naming_the_invitation(
    db: Database, settings: Settings, sms_server: TwilioServer
) -> None:
    invitation_id, _ = _sms_invitation(db, settings)
    (call,) = sms_server.calls
    assert call.form["StatusCallback"] == [f"{PUBLIC_URL}{STATUS_PATH}?invitation={invitation_id}"]


def test_statuses_are_recorded_forward_only_whatever_order_they_arrive_in(
    db: Database, settings: Settings, client: TestClient
) -> None:
    invitation_id, sid = _sms_invitation(db, settings)
    assert _status(client, invitation_id, sid, "queued").json()["outcome"] == "recorded"
    assert _delivery(db, invitation_id) == ("sent", "queued", None)
    delivered = _status(client, invitation_id, sid, "delivered")
    assert delivered.status_code == 200
    assert delivered.json() == {"invitation_id": invitation_id, "status": "delivered", "outcome": "recorded"}
    # Twilio's "sent" overtaken by "delivered", and a retried "delivered": neither moves the status back.
    assert _status(client, invitation_id, sid, "sent").json()["outcome"] == "unchanged"
    assert _status(client, invitation_id, sid, "delivered").json()["outcome"] == "unchanged"
    assert _delivery(db, invitation_id) == ("sent", "delivered", None)
    assert "invitation.delivery_failed" not in _event_names(db)


@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_an_undelivered_message_fails_the_invitation_once_and_shows_in_the_report(
    db: Database, settings: Settings, client: TestClient, status: str
) -> None:
    invitation_id, sid = _sms_invitation(db, settings)
    _status(client, invitation_id, sid, "sent")
    answer = _status(client, invitation_id, sid, status, error_code="30003")
    assert answer.json()["outcome"] == "failed"
    assert _delivery(db, invitation_id) == ("failed", status, "30003")
    assert _status(client, invitation_id, sid, status, error_code="30003").json()["outcome"] == "unchanged"
    assert _event_names(db).count("invitation.delivery_failed") == 1

    headers = make_key(db, Role.viewer)
    listing = client.get("/api/v1/invitations", params={"delivery_status": status}, headers=headers).json()
    assert [(i["id"], i["status"], i["delivery_error"], i["detail"]) for i in listing["items"]] == [
        (invitation_id, "failed", "30003", sid)
    ]
    report = client.get("/api/v1/invitation-report", params={"group_by": "channel"}, headers=headers).json()
    (row,) = report["rows"]
    assert (row["group"], row["failed"], row["delivery"]) == ("sms", 1, {status: 1})


def test_a_failed_sms_falls_back_to_the_rules_next_channel_once(
    db: Database, settings: Settings, client: TestClient
) -> None:
    invitation_id, sid = _sms_invitation(db, settings, rule_fallbacks=["email"])
    _status(client, invitation_id, sid, "undelivered", error_code="30005")
    relay = build_relay(db)
    while relay.run_pass():
        pass
    with db.unit_of_work() as session:
        fallback = invitations.by_occurrence(session, f"fallback:{invitation_id}")
        assert fallback is not None
        first = invitations.get(session, invitation_id)
        assert (fallback.channel, fallback.status, fallback.customer_id, fallback.survey_id, fallback.rule_id) == (
            "email",
            "scheduled",
            first.customer_id,
            first.survey_id,
            first.rule_id,
        )
        fallback_id = fallback.id
    # A replayed event invites no one twice.
    with db.unit_of_work(write=True) as session:
        from cxloop.triggers import fallbacks  # noqa: PLC0415

        assert fallbacks.fall_back(session, invitation_ids=[invitation_id]) == [fallback_id]
        assert invitations.list_invitations(session, channel="email").total == 1


def test_a_failure_without_a_fallback_channel_invites_no_one_else(
    db: Database, settings: Settings, client: TestClient
) -> None:
    invitation_id, sid = _sms_invitation(db, settings, rule_fallbacks=[])
    _status(client, invitation_id, sid, "failed", error_code="30008")
    relay = build_relay(db)
    while relay.run_pass():
        pass
    with db.unit_of_work() as session:
        assert invitations.list_invitations(session).total == 1


def test_reports_for_other_messages_or_invitations_change_nothing(
    db: Database, settings: Settings, client: TestClient
) -> None:
    invitation_id, sid = _sms_invitation(db, settings)
    other_sid = "SM" + "f" * 32  # e.g. the reminder's message
    assert _status(client, invitation_id, other_sid, "failed").json()["outcome"] == "ignored"
    assert _status(client, 999_999, sid, "failed").json()["outcome"] == "unmatched"
    assert _status(client, invitation_id, sid, "receiving").json()["outcome"] == "ignored"  # not an outbound status
    assert _delivery(db, invitation_id) == ("sent", None, None)


def test_unsigned_wrongly_signed_or_redirected_callbacks_get_401(
    db: Database, settings: Settings, client: TestClient
) -> None:
    invitation_id, sid = _sms_invitation(db, settings)
    wrong_token = _status(client, invitation_id, sid, "failed", token="not-the-token")
    assert wrong_token.status_code == 401
    # A signature made for another invitation's URL does not carry over to this one.
    other_url = f"{PUBLIC_URL}{STATUS_PATH}?invitation={invitation_id + 1}"
    assert _status(client, invitation_id, sid, "failed", signed_for=other_url).status_code == 401
    unsigned = client.post(
        f"{STATUS_PATH}?invitation={invitation_id}",
        content=urlencode({"MessageSid": sid, "MessageStatus": "failed"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert unsigned.status_code == 401 and "X-Twilio-Signature" in unsigned.json()["detail"]
    assert _delivery(db, invitation_id) == ("sent", None, None)


def test_malformed_callbacks_get_400_naming_the_field(db: Database, settings: Settings, client: TestClient) -> None:
    invitation_id, sid = _sms_invitation(db, settings)
    bad_status = _status(client, invitation_id, sid, "Not A Status")
    assert bad_status.status_code == 400
    assert [e["field"] for e in bad_status.json()["errors"]] == ["MessageStatus"]
    bad_id = _status(client, "abc", sid, "delivered")
    assert bad_id.status_code == 400
    assert [e["field"] for e in bad_id.json()["errors"]] == ["invitation"]
    bad_code = _status(client, invitation_id, sid, "failed", error_code="x1")
    assert [e["field"] for e in bad_code.json()["errors"]] == ["ErrorCode"]
    assert _delivery(db, invitation_id) == ("sent", None, None)
