"""Reminders: a reminder the policy blocks is dropped for good (the sweep stops picking it), and turning reminders on
for a live survey reminds only invitations sent from then on, unless asked otherwise."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from cxloop.channels.delivery import deliver
from cxloop.core.config import Settings
from cxloop.invitations import service as invitations
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.triggers import sending
from tests.channels.messaging.conftest import SmtpServer
from tests.channels.messaging.world import invite, make_customer, make_survey, noon_today, signer_of
from tests.factories.consent import record_consent


def _sent(db: Database, settings: Settings, survey_id: int, email: str) -> int:
    at = noon_today() - timedelta(days=5)
    with db.unit_of_work(write=True) as session:
        customer = make_customer(session, email=email)
        invitation = invite(session, surveys.require_survey(session, survey_id=survey_id), customer.id, "email", at)
    assert deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    return invitation.id


def test_a_blocked_reminder_is_dropped_and_never_picked_again(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    with db.unit_of_work(write=True) as session:
        survey_id = make_survey(session, reminder_after_days=2).id
    blocked = _sent(db, settings, survey_id, "gone@example.com")
    owed = _sent(db, settings, survey_id, "still@example.com")
    with db.unit_of_work(write=True) as session:
        customer_id = invitations.get(session, blocked).customer_id
        record_consent(session, customer_id, channel="email", granted=False, actor="crm")
    now = noon_today()
    with db.unit_of_work() as session:
        assert sending.reminders_due(session, now=now) == [blocked, owed]
    for invitation_id in (blocked, owed):
        deliver(db, invitation_id, settings=settings, signer=signer_of(settings), reminder=True, now=now)
    with db.unit_of_work() as session:
        assert invitations.get(session, blocked).reminder_dropped == "opted_out"
        assert invitations.get(session, blocked).status == "sent", "the invitation itself keeps its status"
        assert invitations.get(session, owed).reminded_at is not None
        assert sending.reminders_due(session, now=now + timedelta(minutes=15)) == []
    assert [m["To"] for m in smtp_server.recorder.messages].count("still@example.com") == 2


def test_reminders_turned_on_for_a_live_survey_skip_older_invitations(
    db: Database, settings: Settings, smtp_server: SmtpServer, api: TestClient
) -> None:
    with db.unit_of_work(write=True) as session:
        survey_id = make_survey(session).id  # no reminders yet
    older = _sent(db, settings, survey_id, "older@example.com")
    changed = api.patch(f"/api/v1/surveys/{survey_id}", json={"reminder_after_days": 2})
    assert changed.status_code == 200, changed.text
    assert changed.json()["reminders_since"] is not None
    with db.unit_of_work() as session:
        assert sending.reminders_due(session, now=noon_today() + timedelta(days=10)) == []
    # Asked otherwise: every open invitation gets its reminder.
    api.patch(f"/api/v1/surveys/{survey_id}", json={"reminder_after_days": None})
    again = api.patch(
        f"/api/v1/surveys/{survey_id}", json={"reminder_after_days": 2, "remind_earlier_invitations": True}
    )
    assert again.json()["reminders_since"] is None
    with db.unit_of_work() as session:
        assert sending.reminders_due(session, now=noon_today()) == [older]
