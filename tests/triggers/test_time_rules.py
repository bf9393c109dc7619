"""Time rules: N days after signup (and repeats), after the first event of a name, before the renewal date; each
occurrence once however often the sweep runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from cxloop.invitations import service as invitations
from cxloop.invitations.models import Invitation
from cxloop.storage.database import Database
from cxloop.triggers import time_rules
from cxloop.triggers.tasks import run_time_sweep
from tests.factories.customers import make_account, make_customer, make_events, make_segment
from tests.factories.triggers import live_survey, make_rule

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def _keys(db: Database) -> list[str]:
    with db.unit_of_work() as session:
        return sorted(k for k in session.scalars(select(Invitation.occurrence_key)) if k)


def test_thirty_days_after_signup_invites_each_due_customer_once(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = live_survey(session)
        due = make_customer(session, email="due@example.com", signup_date=TODAY - timedelta(days=30))
        yesterday = make_customer(session, email="y@example.com", signup_date=TODAY - timedelta(days=31))
        make_customer(session, email="early@example.com", signup_date=TODAY - timedelta(days=29))
        make_customer(session, email="old@example.com", signup_date=TODAY - timedelta(days=300))
        make_customer(session, email="none@example.com")
        rule = make_rule(session, survey, kind="time", anchor="signup_date", offset_days=30)
    with db.unit_of_work() as session:
        assert time_rules.sweep(session, now=NOW) == (2, 2)  # today's, and yesterday's caught up (lookback 3 days)
    assert _keys(db) == sorted(
        [
            f"rule:{rule.id}:customer:{due.id}:{TODAY}",
            f"rule:{rule.id}:customer:{yesterday.id}:{TODAY - timedelta(days=1)}",
        ]
    )
    with db.unit_of_work() as session:
        assert time_rules.sweep(session, now=NOW + timedelta(hours=1)) == (2, 0)
    with db.unit_of_work() as session:
        invitation = session.scalars(select(Invitation).where(Invitation.customer_id == due.id)).one()
        assert invitation.status == "scheduled" and invitation.scheduled_for == NOW


def test_relationship_nps_at_30_and_90_days_then_quarterly(db: Database) -> None:
    signup = date(2025, 1, 1)
    with db.unit_of_work() as session:
        survey = live_survey(session, resurvey_days=0)
        customer = make_customer(session, email="c@example.com", signup_date=signup)
        first = make_rule(session, survey, kind="time", anchor="signup_date", offset_days=30)
        then = make_rule(session, survey, kind="time", anchor="signup_date", offset_days=90, repeat_days=91)
    created: list[str] = []
    for day in (30, 90, 120, 181, 182, 272):
        at = datetime.combine(signup + timedelta(days=day), NOW.timetz())
        with db.unit_of_work() as session:
            time_rules.sweep(session, now=at, lookback_days=1)
    created = _keys(db)
    assert created == sorted(
        [
            f"rule:{first.id}:customer:{customer.id}:{signup + timedelta(days=30)}",
            f"rule:{then.id}:customer:{customer.id}:{signup + timedelta(days=90)}",
            f"rule:{then.id}:customer:{customer.id}:{signup + timedelta(days=181)}",
            f"rule:{then.id}:customer:{customer.id}:{signup + timedelta(days=272)}",
        ]
    )


def test_first_purchase_anchor_uses_the_first_event_of_that_name(db: Database, queued: object) -> None:
    with db.unit_of_work() as session:
        survey = live_survey(session)
        new = make_customer(session, external_id="new", email="n@example.com")
        make_customer(session, external_id="repeat", email="r@example.com")
        make_events(session, "new", "purchase", [NOW - timedelta(days=7, hours=3)])
        make_events(session, "repeat", "purchase", [NOW - timedelta(days=40), NOW - timedelta(days=7)])
        rule = make_rule(session, survey, kind="time", anchor="first_event:purchase", offset_days=7)
    with db.unit_of_work() as session:
        time_rules.sweep(session, now=NOW, lookback_days=1)
    assert _keys(db) == [f"rule:{rule.id}:customer:{new.id}:{TODAY}"]


def test_thirty_days_before_the_account_renewal_in_a_segment(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = live_survey(session)
        make_account(session, external_id="acme", name="Acme", renewal_date=TODAY + timedelta(days=30))
        champion = make_customer(
            session, email="a@example.com", account_external_id="acme", attributes={"role": "admin"}
        )
        make_customer(session, email="b@example.com", account_external_id="acme", attributes={"role": "user"})
        segment = make_segment(session, 'attributes.role = "admin"')
        rule = make_rule(
            session, survey, kind="time", anchor="account_renewal_date", offset_days=-30, segment_id=segment.id
        )
    with db.unit_of_work() as session:
        time_rules.sweep(session, now=NOW, lookback_days=1)
    assert _keys(db) == [f"rule:{rule.id}:customer:{champion.id}:{TODAY}"]


def test_the_worker_stores_the_plan_in_batches_and_a_second_plan_adds_nothing(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = live_survey(session, resurvey_days=0)
        for n in range(1203):
            make_customer(session, email=f"c{n}@example.com", signup_date=TODAY - timedelta(days=10))
        make_rule(session, survey, kind="time", anchor="signup_date", offset_days=10)
    with db.unit_of_work() as session:
        first, second = time_rules.plan(session, now=NOW), time_rules.plan(session, now=NOW)  # two workers
    assert run_time_sweep(db, now=NOW) == (1203, 1203)
    with db.unit_of_work() as session:
        assert len(invitations.invite_many(session, first.requests + second.requests, now=NOW)) == 0
    assert len(_keys(db)) == 1203
