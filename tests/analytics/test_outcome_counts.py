"""The counts behind churn by band and lifetime value by band (analytics/outcomes/queries.py: each customer's latest
score read down the index, scopes counted in Python) equal a plain recount per customer over a random organisation:
answers at random instants (several per customer, some outside the year before the window), churn of customers and
of their accounts before and inside the window, revenue inside and outside its year, several lifetime-value
estimates per customer, some dated after the window, and overlapping segments."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.analytics.outcomes import queries
from cxloop.collection.models import Response
from cxloop.core.clock import ensure_utc
from cxloop.customers import service as customers
from cxloop.customers.enums import OutcomeKind
from cxloop.customers.models import Account, Customer, Outcome, SegmentMember
from cxloop.customers.schemas import OutcomeCreate
from cxloop.storage.database import Database
from tests.factories.responses import add_scored, random_scored, random_world

WINDOW_START, WINDOW_END = date(2025, 12, 1), date(2026, 2, 28)
SCORE_SINCE = datetime(2024, 12, 1, tzinfo=UTC)
REVENUE_SINCE = date(2025, 3, 1)
DAYS = [date(2025, 1, 1) + timedelta(days=d) for d in range(0, 480, 7)]


@pytest.fixture
def world(db: Database) -> Database:
    rng = random.Random(5)
    with db.unit_of_work() as session:
        made = random_world(session, seed=5, customers=80)
        add_scored(session, random_scored(rng, made, 800))
        externals = list(session.scalars(select(Customer.external_id)))
        accounts = list(session.scalars(select(Account.external_id)))
        items = []
        for external in externals:
            for _ in range(rng.randint(0, 3)):
                kind = rng.choice((OutcomeKind.revenue, OutcomeKind.lifetime_value, OutcomeKind.churned))
                value = None if kind is OutcomeKind.churned else Decimal(rng.randint(1, 5000))
                items.append(
                    OutcomeCreate(customer_external_id=external, kind=kind, value=value, occurred_on=rng.choice(DAYS))
                )
        for account in accounts:  # an account's churn counts for each of its customers
            day = rng.choice(DAYS)
            items.append(OutcomeCreate(account_external_id=account, kind=OutcomeKind.churned, occurred_on=day))
        customers.record_outcomes(session, items=items)
    return db


def _latest(answers: list[Response], until: datetime, since: datetime | None = None) -> int | None:
    """The score of the latest answer (by time, then id) in [since, until)."""
    found = [
        (ensure_utc(r.submitted_at), r.id, r.nps)
        for r in answers
        if ensure_utc(r.submitted_at) < until and (since is None or ensure_utc(r.submitted_at) >= since)
    ]
    return max(found)[2] if found else None


def recount(session: Session, segment_ids: list[int] | None) -> tuple[dict, dict]:
    """(churn counts, lifetime-value sums) per (scope, score), customer by customer in Python."""
    before = datetime.combine(WINDOW_START, datetime.min.time(), UTC)
    answers: dict[int, list[Response]] = defaultdict(list)
    for response in session.scalars(select(Response).where(Response.nps.is_not(None))):
        answers[response.customer_id].append(response)
    outcomes = list(session.scalars(select(Outcome)))
    members: dict[int, set[int]] = defaultdict(set)
    for customer_id, segment_id in session.execute(select(SegmentMember.customer_id, SegmentMember.segment_id)):
        members[customer_id].add(segment_id)
    churn, values = defaultdict(lambda: [0, 0, 0.0, 0.0]), defaultdict(lambda: [0, 0.0, 0.0])
    for customer in session.scalars(select(Customer)):
        mine = [o for o in outcomes if o.customer_id == customer.id]
        churns = [
            o.occurred_on
            for o in outcomes
            if o.kind == "churned"
            and (o.customer_id == customer.id or (customer.account_id and o.account_id == customer.account_id))
        ]
        estimates = sorted(
            (o.occurred_on, o.id, float(o.value))
            for o in mine
            if o.kind == "lifetime_value" and o.occurred_on <= WINDOW_END
        )
        latest_value = estimates[-1][2] if estimates else None
        scopes = [s for s in members[customer.id] if segment_ids is None or s in segment_ids]
        scopes += [None] if segment_ids is None else []

        score = _latest(answers[customer.id], before, SCORE_SINCE)
        if score is not None and not any(day < WINDOW_START for day in churns):
            revenue = sum(
                float(o.value) for o in mine if o.kind == "revenue" and REVENUE_SINCE <= o.occurred_on < WINDOW_START
            )
            for scope in scopes:
                counted = churn[(scope, score)]
                counted[0] += 1
                counted[1] += any(WINDOW_START <= day <= WINDOW_END for day in churns)
                counted[2] += revenue
                counted[3] += latest_value or 0.0
        ever = _latest(answers[customer.id], datetime.combine(WINDOW_END, datetime.max.time(), UTC))
        if ever is not None and latest_value is not None:
            for scope in scopes:
                summed = values[(scope, ever)]
                summed[0] += 1
                summed[1] += latest_value
                summed[2] += latest_value**2
    return dict(churn), dict(values)


def test_counts_equal_a_recount_per_customer(world: Database) -> None:
    with world.unit_of_work() as session:
        segment_ids = sorted(session.scalars(select(SegmentMember.segment_id).distinct()))
        latest = queries.latest_values(session, until=WINDOW_END)
        for chosen in (None, segment_ids[:1]):
            scopes = queries.scopes(session, chosen)
            counts = queries.churn_counts(
                session,
                metric="nps",
                score_since=SCORE_SINCE,
                window_start=WINDOW_START,
                window_end=WINDOW_END,
                revenue_since=REVENUE_SINCE,
                scopes=scopes,
                values=latest,
            )
            sums = queries.lifetime_values(session, metric="nps", until=WINDOW_END, scopes=scopes, values=latest)
            churn, values = recount(session, chosen)
            found = {(c.segment_id, c.score): [c.customers, c.churned, c.revenue, c.lifetime_value] for c in counts}
            assert found == churn  # whole amounts: every sum is exact
            assert {(v.segment_id, v.score): [v.n, v.total, v.total_sq] for v in sums} == values
            assert sum(n for n, *_ in churn.values()) > 10 and any(c[1] for c in churn.values())
            assert len({scope for scope, _ in churn}) == (len(segment_ids) + 1 if chosen is None else 1)
