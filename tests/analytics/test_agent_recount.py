"""The agents and operations analyses (analytics/outcomes/) against a recount in plain Python on a seeded random
world, on both databases: which answer each ticket gets (the first of its customer at or after it, before the
customer's next ticket, ties at equal times included), the window, and the properties read (odd values: true,
blanks, numbers as names, text as measures)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes import agents, operations
from cxloop.collection.models import Response
from cxloop.customers.models import Event
from cxloop.storage.database import Database
from tests.factories.responses import Scored, add_customers, add_scored, add_survey

T0 = datetime(2026, 3, 1, tzinfo=UTC)
AGENTS: list[Any] = ["Ann", "Bob", " Cy ", "", "  ", True, 7, 2.5, None]
TEAMS: list[Any] = ["Tier 1", "Tier 2", None, False, 3]
WAITS: list[Any] = [5, 20, 45.5, 90, 180, 240, 300, 360, 15, 30, 60, 120, 1, 2, 3, 4, 8, True, "60", None]


@dataclass(frozen=True)
class _Row:
    """An event (with its properties) or an answer (its csat and nps as properties)."""

    id: int
    customer_id: int
    at: datetime
    properties: dict[str, Any]


def _world(db: Database, seed: int) -> None:
    """40 customers with tickets (two names, and an unrelated event) and answers on a 30-minute grid over 40 days,
    so tickets and answers often share a time."""
    rng = random.Random(seed)

    def slot() -> datetime:
        return T0 + timedelta(minutes=30 * rng.randrange(40 * 48))

    with db.unit_of_work() as session:
        survey = add_survey(session)
        ids = add_customers(session, 40)
        events = []
        for i in range(400):
            properties = {
                "ticket_id": i,
                "agent": rng.choice(AGENTS),
                "team": rng.choice(TEAMS),
                "wait_minutes": rng.choice(WAITS),
            }
            if rng.random() < 0.3:
                properties["agent_id"] = rng.choice([42, "x", None, False])
            events.append(
                {
                    "customer_id": rng.choice(ids[:30]),  # c30..c39 answer without any ticket
                    "name": rng.choice(["ticket_solved", "chat_ended", "ticket_solved", "page_viewed"]),
                    "properties": properties,
                    "occurred_at": slot(),
                    "received_at": T0,
                    "source": "test",
                    "external_id": f"e{i}",
                }
            )
        session.execute(insert(Event), events)
        scored = [
            Scored(
                slot(),
                survey,
                rng.choice(ids),
                csat=rng.choice([None, 1, 2, 3, 4, 5]),
                nps=rng.choice([None, 0, 3, 7, 9, 10]),
            )
            for _ in range(900)
        ]
        scored += [Scored(slot(), survey, None, csat=5, nps=10) for _ in range(20)]  # anonymous: never linked
        add_scored(session, scored)


def _read(db: Database) -> tuple[list[_Row], list[_Row]]:
    with db.unit_of_work() as session:
        events = [
            _Row(e.id, e.customer_id, e.occurred_at, dict(e.properties))
            for e in session.scalars(select(Event).where(Event.name.in_(agents.TICKET_EVENTS)))
            if e.customer_id is not None
        ]
        answers = [
            _Row(r.id, r.customer_id, r.submitted_at, {"csat": r.csat, "nps": r.nps})
            for r in session.scalars(select(Response))
            if r.customer_id is not None
        ]
    return events, answers


def _first_answers(events: list[_Row], answers: list[_Row], metric: str, window: timedelta) -> list[tuple[_Row, int]]:
    """Per ticket, the first answer (time, then id) among those whose latest ticket (time, then id) it is."""
    latest: dict[int, list[_Row]] = defaultdict(list)
    for answer in answers:
        if answer.properties[metric] is None:
            continue
        before = [e for e in events if e.customer_id == answer.customer_id and e.at <= answer.at]
        if before:
            latest[max(before, key=lambda e: (e.at, e.id)).id].append(answer)
    linked = []
    for event in events:
        if event.id in latest:
            first = min(latest[event.id], key=lambda a: (a.at, a.id))
            if first.at - event.at <= window:
                linked.append((event, first.properties[metric]))
    return linked


def _name(properties: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = properties.get(key)
        if type(value) in (str, int) and str(value).strip():
            return str(value).strip()
    return None


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("window_days", [14, 2])
def test_agents_match_a_recount_in_python(db: Database, seed: int, window_days: int) -> None:
    _world(db, seed)
    events, answers = _read(db)
    window = timedelta(days=window_days)
    expected: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"tickets": 0, "csat": [], "nps": []})
    for event in events:
        for group, keys in agents.GROUPS.items():
            if (name := _name(event.properties, keys)) is not None:
                expected[(group, name)]["tickets"] += 1
    for metric in ("csat", "nps"):
        for event, score in _first_answers(events, answers, metric, window):
            for group, keys in agents.GROUPS.items():
                if (name := _name(event.properties, keys)) is not None:
                    expected[(group, name)][metric].append(score)
    with db.unit_of_work() as session:
        result = agents.analyse(session, window_days=window_days)
    found = {
        (row.group, row.name): {
            "tickets": row.tickets,
            "csat": row.csat,
            "nps": row.nps,
        }
        for row in result.agents + result.teams
    }
    want = {
        key: {
            "tickets": tally["tickets"],
            "csat": operations.summarise(MetricKind.csat, tally["csat"]),
            "nps": operations.summarise(MetricKind.nps, tally["nps"]),
        }
        for key, tally in expected.items()
    }
    assert found == want
    assert {"Cy", "7"} <= {name for group, name in found if group == "agent"}  # stripped; whole numbers count
    assert result.overall is not None and result.overall.tickets == len(events)
    assert result.overall.csat.n == len(_first_answers(events, answers, "csat", window))
    waits = [w for e in events if type(w := e.properties.get("wait_minutes")) in (int, float)]
    assert result.overall.wait.n == len(waits)  # true and "60" are no numbers


def test_operations_pairs_match_a_recount_in_python(db: Database) -> None:
    _world(db, 3)
    events, answers = _read(db)
    solved = [e for e in events if e.id in _ids(db, "ticket_solved")]
    for kind in (MetricKind.csat, MetricKind.nps):
        linked = _first_answers(solved, answers, kind.value, timedelta(days=14))
        pairs = [(float(w), score) for e, score in linked if type(w := e.properties["wait_minutes"]) in (int, float)]
        with db.unit_of_work() as session:
            result = operations.analyse(session, metric=kind.value, event="ticket_solved", measure="wait_minutes")
        (measure,) = result.measures
        assert measure.pairs == len(pairs) > 30
        for found in measure.bins:  # each bin holds the answers whose wait lies in its range
            within = [score for wait, score in pairs if found.low <= wait <= found.high]
            assert found.value == operations.summarise(kind, within)
        assert sum(b.value.n for b in measure.bins) == len(pairs)


def _ids(db: Database, name: str) -> set[int]:
    with db.unit_of_work() as session:
        return set(session.scalars(select(Event.id).where(Event.name == name)))
