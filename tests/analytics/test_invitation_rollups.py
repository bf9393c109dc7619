"""Invitation rollups kept on every invitation write always equal a full recount (rebuild_invitation_rollups), and
the fatigue report read from them equals the one counted over raw invitations."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.analytics import invitation_rollups, queries, rollups
from cxloop.analytics.enums import FatigueGroup
from cxloop.analytics.fatigue import fatigue_report
from cxloop.analytics.models import InvitationRollup
from cxloop.customers import service as customers
from cxloop.governance.enums import SuppressionReason
from cxloop.invitations import delivery_status, privacy
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import DeliveryStatus
from cxloop.invitations.models import Invitation
from cxloop.journeys import service as journeys
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from tests.factories.customers import make_customer
from tests.factories.journeys import make_touchpoint
from tests.factories.triggers import live_survey

ZONES = ["UTC", "America/New_York", "Asia/Kolkata"]
START = datetime(2026, 3, 5, tzinfo=UTC)  # the New York clocks change on 8 March


@pytest.fixture
def zones() -> Iterator[list[str]]:
    previous = rollups.rolled_up_timezones()
    rollups.configure(ZONES)
    yield ZONES
    rollups.configure(previous)


def snapshot(session: Session) -> dict[tuple[object, ...], tuple[int, int, int, int]]:
    """Every invitation rollup row as {key: (n, sent, opened, answered)}."""
    table = InvitationRollup
    rows = session.execute(select(table).order_by(table.tz, table.dim, table.dim_value, table.day)).scalars()
    return {
        (r.tz, r.dim, r.dim_value, r.day, r.status, r.reason, r.delivery): (r.n, r.sent, r.opened, r.answered)
        for r in rows
    }


def _random_invitations(db: Database, rng: random.Random, count: int) -> list[int]:
    """`count` invitations to 3 surveys on random channels and days, decided by the contact policy (some are
    suppressed: customers without an address, caps)."""
    with db.unit_of_work() as session:
        survey_ids = [live_survey(session).id for _ in range(3)]
        touchpoint_ids = [make_touchpoint(session).id for _ in range(2)]
        people = [
            make_customer(session, email=f"p{i}@example.com" if i % 4 else None, phone=f"+1201555{i:04d}").id
            for i in range(12)
        ]
    requests = [
        invitations.InviteRequest(
            survey_id=rng.choice(survey_ids),
            customer_id=rng.choice(people),
            channel=rng.choice(["email", "sms", "link"]),
            touchpoint_id=rng.choice([None, *touchpoint_ids]),
            at=START + timedelta(minutes=rng.randrange(6 * 24 * 60)),
        )
        for _ in range(count)
    ]
    ids: list[int] = []
    for start in range(0, count, 10):
        with db.unit_of_work() as session:
            ids += invitations.invite_many(session, requests[start : start + 10], now=requests[start].at)
    return ids


def _random_change(session: Session, rng: random.Random, invitation: Invitation) -> None:
    now = invitation.created_at + timedelta(hours=rng.randrange(1, 100))
    change = rng.randrange(8)
    if change == 0:
        invitations.mark_sent(invitation, detail="sent", now=now)
    elif change == 1:
        invitations.mark_opened(invitation, now=now)
    elif change == 2:  # answered links were handed out: sent first (else the report's rate is off its scale)
        if invitation.sent_at is None:
            invitations.mark_sent(invitation, detail="sent", now=now)
        invitations.mark_answered(invitation, response_id=rng.randrange(1, 10_000), now=now)
    elif change == 3:
        invitations.mark_failed(invitation, detail="bounced", now=now)
    elif change == 4:
        invitations.mark_suppressed(invitation, reason=SuppressionReason.opted_out, now=now)
    elif change == 5:
        invitations.mark_expired(invitation, now=now)
    else:
        status = rng.choice([DeliveryStatus.delivered, DeliveryStatus.bounced, DeliveryStatus.complained])
        delivery_status.record_delivery(invitation, status=status, error="e", now=now)


def test_kept_rollups_equal_a_recount_after_random_writes_and_status_changes(db: Database, zones: list[str]) -> None:
    rng = random.Random(31)
    ids = _random_invitations(db, rng, 120)
    for invitation_id in rng.choices(ids, k=150):
        with db.unit_of_work() as session:
            invitation = session.get(Invitation, invitation_id)
            if invitation is not None:
                _random_change(session, rng, invitation)
    with db.unit_of_work() as session:
        assert invitations.expire_overdue(session, now=START + timedelta(days=40)) > 0
        invitations.insert_history(
            session,
            [
                {
                    "survey_id": session.get_one(Invitation, ids[0]).survey_id,
                    "customer_id": session.get_one(Invitation, ids[0]).customer_id,
                    "channel": "email",
                    "status": "answered",
                    "scheduled_for": START,
                    "expires_at": START,
                    "sent_at": START,
                    "answered_at": START,
                    "created_at": START - timedelta(days=3, hours=h),
                    "updated_at": START,
                }
                for h in range(5)
            ],
        )
    with db.unit_of_work() as session:
        kept = snapshot(session)
        invitation_rollups.rebuild_invitation_rollups(session)
    with db.unit_of_work() as session:
        assert kept == snapshot(session)
        assert {key[0] for key in kept} == set(ZONES)
        assert {key[4] for key in kept} >= {"answered", "failed", "suppressed", "expired", "sent"}

    # Deletions: a privacy erasure, retention, a customer and a survey deleted (their invitations counted out, not
    # cascaded by the foreign keys), a touchpoint deleted (its invitations counted as having none).
    with db.unit_of_work() as session:
        owners = sorted(set(session.scalars(select(Invitation.customer_id))))
        assert privacy.erase_customer_data(session, customer_id=owners[0])["invitations"] > 0
        assert privacy.invitation_retention(session, before=START + timedelta(days=2), action="delete", limit=5) == 5
        customers.delete_customer(session, customer_id=owners[1])
        survey_id = session.scalars(select(Invitation.survey_id)).first()
        assert survey_id is not None
        surveys.delete_survey(session, survey_id=survey_id)
        touchpoint_id = session.scalars(select(Invitation.touchpoint_id).where(Invitation.touchpoint_id > 0)).first()
        assert touchpoint_id is not None
        journeys.delete_touchpoint(session, touchpoint_id=touchpoint_id)  # its invitations keep no touchpoint
    with db.unit_of_work() as session:
        kept = snapshot(session)
        invitation_rollups.rebuild_invitation_rollups(session)
    with db.unit_of_work() as session:
        assert kept == snapshot(session)
        assert session.scalar(select(Invitation.id).where(Invitation.customer_id.in_(owners[:2]))) is None
        assert str(survey_id) not in {key[2] for key in kept if key[1] == "survey"}
        assert str(touchpoint_id) not in {key[2] for key in kept if key[1] == "touchpoint"}
        assert ("UTC", "touchpoint", "") in {key[:3] for key in kept}


@pytest.mark.parametrize("group_by", [None, *FatigueGroup])
def test_the_fatigue_report_from_rollups_equals_the_raw_count(
    db: Database, zones: list[str], group_by: FatigueGroup | None
) -> None:
    rng = random.Random(7)
    ids = _random_invitations(db, rng, 60)
    for invitation_id in rng.choices(ids, k=60):
        with db.unit_of_work() as session:
            _random_change(session, rng, session.get_one(Invitation, invitation_id))
    new_york = ZoneInfo("America/New_York")
    ranges = [
        (None, None),
        (START + timedelta(days=1), START + timedelta(days=3)),  # UTC days
        (datetime(2026, 3, 6, tzinfo=new_york), datetime(2026, 3, 9, tzinfo=new_york)),  # across the change
        (None, START + timedelta(days=2)),
    ]
    with db.unit_of_work() as session:
        for since, until in ranges:
            days = invitation_rollups.whole_days(since, until)
            assert days is not None
            from_rollups = invitation_rollups.outcome_counts(
                session,
                group_by=group_by.value if group_by else None,
                tz=days[0],
                first_day=days[1],
                last_day=days[2],
            )
            raw = queries.invitation_outcomes(session, group_by=group_by, since=since, until=until)
            assert sorted(from_rollups, key=repr) == sorted(raw, key=repr)
            assert from_rollups
        # Through the report: a range of whole days reads the rollups, the same figures as raw rows would give.
        report = fatigue_report(session, group_by=group_by.value if group_by else None)
        assert sum(row.invitations for row in report) == len(ids)


def test_whole_days_finds_a_rolled_up_zone_or_none(zones: list[str]) -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    assert invitation_rollups.whole_days(None, None) == ("UTC", None, None)
    since, until = datetime(2026, 3, 1, tzinfo=kolkata), datetime(2026, 3, 8, tzinfo=kolkata)
    tz, first, last = invitation_rollups.whole_days(since, until) or ("", 0, 0)
    assert tz == "Asia/Kolkata" and last is not None and first is not None and last - first == 6
    assert invitation_rollups.whole_days(START + timedelta(hours=13), None) is None  # midnight nowhere rolled up
