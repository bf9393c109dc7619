"""Invitations under the contact policy, on both databases: scheduled or suppressed with the reason, once per
occurrence, tokens that resolve (404 unknown, 410 expired)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cxloop.core.clock import utcnow
from cxloop.governance import consent
from cxloop.invitations import service as invitations
from cxloop.invitations.errors import InvitationExpired, InvitationNotFound
from cxloop.invitations.models import Invitation
from cxloop.invitations.service import InviteRequest
from cxloop.invitations.tokens import TokenSigner
from cxloop.storage.database import Database
from tests.factories.consent import record_consent
from tests.factories.customers import make_customer
from tests.invitations.conftest import live_survey


def _customer(db: Database, **fields: object) -> int:
    with db.unit_of_work() as session:
        return make_customer(session, **fields).id


def _invite(db: Database, request: InviteRequest, now: datetime | None = None) -> Invitation:
    with db.unit_of_work(write=True) as session:
        found = invitations.invite(session, request, now=now)
        session.flush()
        session.expunge(found)
        return found


def test_an_eligible_customer_gets_a_scheduled_invitation_whose_token_resolves(
    db: Database, survey_id: int, signer: TokenSigner
) -> None:
    customer_id = _customer(db, email="ann@example.com", locale="de")
    invitation = _invite(db, InviteRequest(survey_id=survey_id, customer_id=customer_id, channel="email"))
    assert (invitation.status, invitation.reason, invitation.channel) == ("scheduled", None, "email")
    assert invitation.locale == "de"
    assert invitation.expires_at - invitation.scheduled_for == timedelta(days=30)
    token = invitations.token_for(signer, invitation)
    with db.unit_of_work() as session:
        assert invitations.by_token(session, signer, token).id == invitation.id
        with pytest.raises(InvitationNotFound):
            invitations.by_token(session, signer, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
        with pytest.raises(InvitationNotFound):
            invitations.by_token(session, TokenSigner(b"another secret"), token)
        with pytest.raises(InvitationExpired):
            invitations.by_token(session, signer, token, now=invitation.expires_at + timedelta(seconds=1))


def test_an_occurrence_creates_one_invitation_however_often_it_is_asked(db: Database, survey_id: int) -> None:
    customer_id = _customer(db, email="bo@example.com")
    request = InviteRequest(survey_id=survey_id, customer_id=customer_id, channel="email", occurrence_key="rule:1:x")
    first = _invite(db, request)
    second = _invite(db, request)
    assert first.id == second.id
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 1


def test_the_frequency_cap_counts_invitations_to_every_survey(db: Database, survey_id: int) -> None:
    other = live_survey(db, key="second-survey")
    customer_id = _customer(db, email="cy@example.com")
    now = utcnow()
    assert _invite(db, InviteRequest(survey_id, customer_id, "email"), now).status == "scheduled"
    capped = _invite(db, InviteRequest(other, customer_id, "email"), now + timedelta(days=3))
    assert (capped.status, capped.reason) == ("suppressed", "frequency_cap")
    later = _invite(db, InviteRequest(other, customer_id, "email", at=now + timedelta(days=15)), now)
    assert later.status == "scheduled"


def test_the_same_survey_waits_for_its_resurvey_interval(db: Database) -> None:
    survey_id = live_survey(db, key="quarterly", resurvey_days=90)
    customer_id = _customer(db, email="di@example.com")
    now = utcnow()
    _invite(db, InviteRequest(survey_id, customer_id, "email", at=now))
    again = _invite(db, InviteRequest(survey_id, customer_id, "email", at=now + timedelta(days=60)))
    assert again.reason == "resurvey_interval"
    assert _invite(db, InviteRequest(survey_id, customer_id, "email", at=now + timedelta(days=91))).status == (
        "scheduled"
    )


def test_sms_without_opt_in_falls_back_to_email(db: Database, survey_id: int) -> None:
    customer_id = _customer(db, email="ed@example.com", phone="+12015550100")
    invitation = _invite(db, InviteRequest(survey_id, customer_id, "sms", fallbacks=("email",)))
    assert (invitation.channel, invitation.requested_channel, invitation.status) == ("email", "sms", "scheduled")
    other = _customer(db, email="ed2@example.com", phone="+12015550101")
    no_fallback = _invite(db, InviteRequest(survey_id, other, "sms"))
    assert (no_fallback.status, no_fallback.reason) == ("suppressed", "no_consent")


def test_an_opt_out_is_honoured_at_once_and_recorded(db: Database, survey_id: int) -> None:
    customer_id = _customer(db, email="fi@example.com")
    with db.unit_of_work(write=True) as session:
        record_consent(session, customer_id, channel="*", granted=False)
    invitation = _invite(db, InviteRequest(survey_id, customer_id, "email"))
    assert (invitation.status, invitation.reason) == ("suppressed", "opted_out")
    with db.unit_of_work() as session:
        (change,) = consent.history(session, customer_id=customer_id)
        assert (change.channel, change.granted, change.source, change.actor) == ("*", False, "api", "test")


def test_no_address_and_closed_surveys_are_suppressed_with_their_reason(db: Database) -> None:
    closed = live_survey(db, key="ended", closes_at=datetime(2020, 1, 1, tzinfo=UTC))
    open_survey = live_survey(db, key="open")
    customer_id = _customer(db)
    assert _invite(db, InviteRequest(closed, customer_id, "email")).reason == "survey_closed"
    assert _invite(db, InviteRequest(open_survey, customer_id, "email")).reason == "no_address"


def test_a_reminder_counts_as_a_contact_for_the_frequency_cap(db: Database, survey_id: int) -> None:
    other = live_survey(db, key="other-survey")
    customer_id = _customer(db, email="gi@example.com")
    start = utcnow() - timedelta(days=30)
    first = _invite(db, InviteRequest(survey_id, customer_id, "email", at=start), now=start)
    with db.unit_of_work(write=True) as session:
        invitation = session.get_one(Invitation, first.id)
        invitations.mark_sent(invitation, now=start)
        invitations.mark_reminded(invitation, now=start + timedelta(days=20))
    # 30 days after the invitation, but 10 after its reminder: still inside the 14-day window.
    capped = _invite(db, InviteRequest(other, customer_id, "email"))
    assert (capped.status, capped.reason) == ("suppressed", "frequency_cap")
