"""Operational measures against the score that followed (analytics/outcomes/operations.py) and support agents and
teams (agents.py), on both databases: planted effects are found from the data, null worlds show none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxloop.analytics.outcomes import agents, operations
from cxloop.core.errors import InvalidInput
from cxloop.customers import service as customers
from cxloop.customers.schemas import EventCreate
from cxloop.storage.database import Database
from tests.factories.responses import Scored, add_customers, add_scored, add_survey

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
WAITS = (5, 20, 45, 90, 180, 360)


def _tickets(db: Database, *, effect: bool, n: int = 180, existing_survey: bool = False) -> None:
    """n customers, each with one solved ticket (wait from WAITS, 0-2 transfers, agent Ann or Bob) and a CSAT answer
    a day later. effect: CSAT falls with the wait and Bob's customers are less satisfied; else CSAT cycles
    independently of both."""
    with db.unit_of_work() as session:
        survey = add_survey(session, key="support" if existing_survey else "relationship")
        first = 5000 if existing_survey else 0  # customer external ids c<first>.. (the outcome world uses c0..)
        ids = add_customers(session, n, start=first)
        events, scored = [], []
        for i, customer in enumerate(ids):
            at = T0 + timedelta(hours=i)
            wait = WAITS[i % len(WAITS)]
            agent = "Ann" if (i // len(WAITS)) % 2 == 0 else "Bob"
            properties = {
                "ticket_id": 5000 + i,
                "wait_minutes": wait,
                "transfers": (i // len(WAITS)) % 3,  # independent of the wait and of the agent
                "agent": agent,
                "team": "Tier 1" if (i // len(WAITS)) % 3 else "Tier 2",  # independent of wait and agent
                "subject": "printer",
            }
            events.append(
                EventCreate(
                    customer_external_id=f"c{first + i}",
                    name="ticket_solved",
                    properties=properties,
                    occurred_at=at,
                    external_id=f"t{first + i}",
                )
            )
            events.append(
                EventCreate(
                    customer_external_id=f"c{first + i}",
                    name="ticket_created",
                    properties={"ticket_id": 5000 + i},
                    occurred_at=at - timedelta(hours=2 + i % 4),
                    external_id=f"o{first + i}",
                )
            )
            if effect:
                csat = 5 if wait < 60 else 4 if wait < 120 else 2
                if agent == "Bob" and wait < 120:
                    csat -= 2
            else:
                csat = (1, 5, 3, 4, 2)[(i // len(WAITS)) % 5]  # every wait gets the same mix of answers
            scored.append(Scored(at + timedelta(days=1), survey, customer, csat=csat))
            # A late answer (20 days on) is outside the 14-day window: never linked.
            scored.append(Scored(at + timedelta(days=20), survey, customer, csat=1 if effect else csat))
        customers.record_events(session, items=events)
        add_scored(session, scored)


def test_a_wait_effect_on_csat_is_found(db: Database) -> None:
    _tickets(db, effect=True)
    with db.unit_of_work() as session:
        result = operations.analyse(session, metric="csat")
    measures = {(m.event, m.measure): m for m in result.measures}
    assert set(measures) == {("ticket_solved", "transfers"), ("ticket_solved", "wait_minutes")}  # no ids, no text
    wait = measures[("ticket_solved", "wait_minutes")]
    assert wait.pairs == 180
    assert wait.correlation is not None and wait.correlation.significant and wait.correlation.ci_high < 0
    assert [b.low for b in wait.bins] == [5, 20, 45, 90, 180] or len(wait.bins) == 5
    assert wait.bins[0].value.value is not None and wait.bins[-1].value.value is not None
    assert wait.bins[0].value.value > wait.bins[-1].value.value
    transfers = measures[("ticket_solved", "transfers")]
    assert [b.low for b in transfers.bins] == [0, 1, 2]
    assert transfers.correlation is not None and not transfers.correlation.significant
    assert len(result.findings) == 1 and "wait_minutes" in result.findings[0]


def test_a_null_world_shows_no_operational_effect(db: Database) -> None:
    _tickets(db, effect=False)
    with db.unit_of_work() as session:
        result = operations.analyse(session, metric="csat", event="ticket_solved", measure="wait_minutes", bins=3)
    (wait,) = result.measures
    assert wait.correlation is not None and wait.correlation.ci_low < 0 < wait.correlation.ci_high
    assert result.findings == []
    assert len(wait.bins) == 3 and sum(b.value.n for b in wait.bins) == 180


def test_too_few_pairs_and_bad_input(db: Database) -> None:
    _tickets(db, effect=True, n=12)
    with db.unit_of_work() as session:
        result = operations.analyse(session, metric="csat", event="ticket_solved")
        assert all(m.correlation is None and "at least 30" in m.explanation for m in result.measures)
        for kwargs, field in (
            ({"event": "nothing_here"}, "event"),
            ({"event": "ticket_solved", "measure": "subject"}, "measure"),
            ({"measure": "wait_minutes"}, "event"),
            ({"metric": "mood"}, "metric"),
            ({"bins": 1}, "bins"),
            ({"touchpoint": "nowhere"}, "touchpoint"),
        ):
            with pytest.raises(InvalidInput) as caught:
                operations.analyse(session, **kwargs)  # type: ignore[arg-type]
            assert caught.value.errors[0].field == field


def test_agents_and_teams_with_their_wait_and_resolution(db: Database) -> None:
    _tickets(db, effect=True)
    with db.unit_of_work() as session:
        result = agents.analyse(session)
    assert result.wait_measure == "wait_minutes" and result.resolution_measure == "hours from ticket_created"
    assert result.overall is not None and result.overall.tickets == 180 and result.overall.csat.n == 180
    assert result.overall.wait.p90 == 360 and result.overall.wait.p90_low is not None
    rows = {(r.group, r.name): r for r in result.agents + result.teams}
    ann, bob = rows[("agent", "Ann")], rows[("agent", "Bob")]
    assert ann.tickets == bob.tickets == 90 and ann.csat.n == 90
    assert ann.csat_vs_rest is not None and ann.csat_vs_rest_low is not None and ann.csat_vs_rest_low > 0
    assert bob.csat_vs_rest is not None and bob.csat_vs_rest < 0
    assert ann.wait.n == 90 and ann.wait.median == pytest.approx(67.5)
    assert ann.wait.median_low is not None and ann.wait.median_low <= 67.5 <= (ann.wait.median_high or 0)
    assert 2 <= (ann.resolution.median or 0) <= 5
    assert any(f.startswith("Agent Ann") for f in result.findings)
    assert not any(f.startswith("Team") for f in result.findings)  # teams split by parity: no planted difference


def test_agents_without_helpdesk_data_explain(db: Database) -> None:
    with db.unit_of_work() as session:
        result = agents.analyse(session)
        assert result.agents == [] and "agent" in result.explanation
        with pytest.raises(InvalidInput) as caught:
            agents.analyse(session, event="nothing_here")
        assert caught.value.errors[0].field == "event"
