"""A churn history to train on: customers with an NPS answer, support tickets and product events before each of two
snapshots, and churn outcomes after them, inserted in bulk (as tests/factories/responses.py does).

By default detractors with many tickets churn 5 times as often as everyone else (50% vs 10% per horizon); with
`churn_rate` every customer churns at that rate, whatever they said or did: nothing to find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cxloop.customers.models import Event, Outcome
from tests.factories.responses import Scored, add_customers, add_scored, add_survey

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HORIZON = timedelta(days=90)


@dataclass(frozen=True)
class World:
    customer_ids: list[int]
    risky: set[int]  # detractors with many tickets
    churned: set[int]


def plant_world(session: Session, *, customers: int = 1_000, seed: int = 7, churn_rate: float | None = None) -> World:
    rng = random.Random(seed)
    survey = add_survey(session, key=f"churn-{seed}")
    ids = add_customers(session, customers, start=seed * 100_000)
    scored: list[Scored] = []
    events: list[dict[str, object]] = []
    outcomes: list[dict[str, object]] = []
    risky: set[int] = set()
    churned: set[int] = set()
    snapshots = (NOW - 2 * HORIZON, NOW - HORIZON)
    for customer_id in ids:
        detractor = rng.random() < 0.5
        heavy = rng.random() < 0.5
        if detractor and heavy:
            risky.add(customer_id)
        for start in (*snapshots, NOW):  # before each snapshot and today: an NPS answer, tickets, product use
            nps = rng.randint(0, 6) if detractor else rng.randint(7, 10)
            scored.append(
                Scored(
                    at=start - timedelta(days=rng.randint(10, 60)), survey_id=survey, customer_id=customer_id, nps=nps
                )
            )
            for k in range(rng.randint(4, 8) if heavy else rng.randint(0, 1)):
                at = start - timedelta(days=rng.randint(1, 80), minutes=k)
                events.append(_event(customer_id, "ticket_created", at, {"ticket_id": f"t{customer_id}-{k}"}))
            for k in range(rng.randint(0, 12)):
                at = start - timedelta(days=rng.randint(1, 80), minutes=k)
                events.append(_event(customer_id, "feature_used", at, {}))
        for start in snapshots:
            rate = churn_rate if churn_rate is not None else 0.5 if customer_id in risky else 0.1
            if customer_id not in churned and rng.random() < rate:
                churned.add(customer_id)
                day = (start + timedelta(days=rng.randint(1, HORIZON.days))).date()
                outcomes.append(
                    {
                        "customer_id": customer_id,
                        "kind": "churned",
                        "occurred_on": day,
                        "note": "",
                        "source": "test",
                        "external_id": f"churn-{customer_id}",
                        "created_at": NOW,
                    }
                )
    add_scored(session, scored)
    session.execute(insert(Event), events)
    if outcomes:
        session.execute(insert(Outcome), outcomes)
    session.flush()
    return World(ids, risky, churned)


def _event(customer_id: int, name: str, at: datetime, properties: dict[str, object]) -> dict[str, object]:
    return {
        "customer_id": customer_id,
        "name": name,
        "properties": properties,
        "occurred_at": at,
        "received_at": at,
        "source": "test",
    }
