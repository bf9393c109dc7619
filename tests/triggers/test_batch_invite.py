"""The batch path decides exactly like `invitations.service.invite`, case by case, and stores each occurrence once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from cxloop.governance import policy
from cxloop.invitations import service as invitations
from cxloop.invitations.service import InviteRequest
from cxloop.storage.database import Database
from tests.factories.consent import record_consent
from tests.factories.customers import make_customer
from tests.factories.triggers import live_survey

NOON = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _world(session: Session) -> list[InviteRequest]:
    survey = live_survey(session)
    closed = live_survey(session, status="closed")
    other = live_survey(session)
    rules = policy.current_policy(session)
    rules.holdout_percent = 20.0
    requests = []
    for n in range(40):
        customer = make_customer(
            session,
            email=None if n % 7 == 3 else f"c{n}@example.com",
            phone=f"+1201555{n:04d}" if n % 2 else None,
            timezone="Asia/Tokyo" if n % 5 == 0 else None,  # 21:00 there: SMS waits for the morning
        )
        if n % 4 == 1:
            record_consent(session, customer.id, channel="sms", granted=True, actor="t")
        if n % 9 == 2:
            record_consent(session, customer.id, channel="*", granted=False, actor="t")
        if n % 6 == 5:  # invited to another survey a week ago: the frequency cap says no
            week_ago = NOON - timedelta(days=7)
            earlier = InviteRequest(survey_id=other.id, customer_id=customer.id, channel="email", at=week_ago)
            invitations.invite(session, earlier, now=week_ago)
        channel, fallbacks = ("sms", ["email"]) if n % 3 else ("email", [])
        target = closed if n == 13 else survey
        requests.append(
            InviteRequest(
                survey_id=target.id,
                customer_id=customer.id,
                channel=channel,
                fallbacks=fallbacks,
                occurrence_key=f"test:{n}",
            )
        )
    return requests


def _outcome(session: Session, keys: list[str]) -> list[tuple[object, ...]]:
    found = [invitations.by_occurrence(session, key) for key in keys]
    return [
        (i.status, i.reason, i.channel, i.requested_channel, i.scheduled_for, i.expires_at)
        for i in found
        if i is not None
    ]


def test_batch_decisions_equal_invite_decisions(db: Database) -> None:
    with db.unit_of_work() as session:
        requests = _world(session)
    keys = [r.occurrence_key or "" for r in requests]
    # write=True: a real transaction from the start on SQLite, so invite's savepoints nest inside it and roll back
    with pytest.raises(RuntimeError), db.unit_of_work(write=True) as session:
        for request in requests:
            invitations.invite(session, request, now=NOON)
        one_by_one = _outcome(session, keys)
        raise RuntimeError("roll back, then do the same in one batch")
    with db.unit_of_work(write=True) as session:
        assert len(invitations.invite_many(session, requests, now=NOON)) == 40
        batched = _outcome(session, keys)
    assert batched == one_by_one
    reasons = {row[1] for row in batched}
    assert {None, "holdout", "opted_out", "frequency_cap", "survey_closed"} <= reasons
    assert any(row[2] == "sms" and row[4] != NOON for row in batched)  # moved out of quiet hours
    with db.unit_of_work() as session:
        assert len(invitations.invite_many(session, requests, now=NOON)) == 0
