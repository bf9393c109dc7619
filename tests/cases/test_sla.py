"""SLA policies (defaults 2 h / 24 h / 48 h, per team and priority), due times in business hours, and the sweep:
warnings before due, each breach recorded and announced once, escalation to the lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from cxloop.cases import service as cases
from cxloop.cases import tasks
from cxloop.cases.enums import CaseAction, CasePriority
from cxloop.cases.models import Case
from cxloop.cases.schemas import SYSTEM, RoutingRuleIn, SlaPolicyIn
from cxloop.core.business_hours import calendar
from cxloop.core.errors import InvalidInput
from cxloop.jobs import queued
from cxloop.storage.database import Database
from tests.cases.test_lifecycle import events
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer

HOURS = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def test_the_most_specific_policy_applies_and_defaults_fill_the_rest(db: Database) -> None:
    with db.unit_of_work() as session:
        team, other = make_team(session), make_team(session)
        cases.replace_policies(
            session,
            items=[
                SlaPolicyIn(acknowledge_minutes=240),
                SlaPolicyIn(team_id=team.id, acknowledge_minutes=60),
                SlaPolicyIn(team_id=team.id, priority=CasePriority.urgent, acknowledge_minutes=15, close_minutes=600),
                SlaPolicyIn(priority=CasePriority.urgent, acknowledge_minutes=30),
            ],
        )

        def dues(team_id: int, priority: CasePriority) -> tuple[timedelta, timedelta]:
            case, _ = open_case(session, make_customer(session).id, team_id=team_id, priority=priority)
            return case.acknowledge_due_at - case.created_at, case.close_due_at - case.created_at

        assert dues(team.id, CasePriority.urgent) == (timedelta(minutes=15), timedelta(minutes=600))
        assert dues(team.id, CasePriority.normal) == (timedelta(minutes=60), timedelta(hours=48))
        assert dues(other.id, CasePriority.urgent) == (timedelta(minutes=30), timedelta(hours=48))
        assert dues(other.id, CasePriority.low) == (timedelta(minutes=240), timedelta(hours=48))
        listed = cases.list_policies(session)
        assert len(listed) == 4 and all(p.id is not None for p in listed)
        cases.replace_policies(session, items=[])
        (default,) = cases.list_policies(session)
        assert default.id is None and (default.acknowledge_minutes, default.first_response_minutes) == (120, 1440)
        assert default.close_minutes == 2880


def test_repeated_or_unknown_policies_are_refused_by_field(db: Database) -> None:
    with db.unit_of_work() as session:
        with pytest.raises(InvalidInput) as repeated:
            cases.replace_policies(session, items=[SlaPolicyIn(), SlaPolicyIn(acknowledge_minutes=5)])
        assert repeated.value.errors[0].field == "items[1]"
        with pytest.raises(InvalidInput) as unknown:
            cases.replace_policies(session, items=[SlaPolicyIn(team_id=999)])
        assert unknown.value.errors[0].field == "items[0].team_id"


def test_due_times_count_the_teams_business_hours(db: Database) -> None:
    with db.unit_of_work() as session:
        team = make_team(session, timezone="Europe/Paris", business_hours=HOURS, holidays=["2026-12-25"])
        case, _ = open_case(session, make_customer(session).id, 1, team_id=team.id)
        cal = calendar("Europe/Paris", HOURS, ["2026-12-25"])
        assert case.acknowledge_due_at == cal.add(case.created_at, 120)
        assert case.close_due_at == cal.add(case.created_at, 2880)
        assert cal.minutes_between(case.created_at, case.close_due_at) == pytest.approx(2880)


def _backdate(db: Database, case_id: int, hours: float) -> None:
    """Move a case's creation and due times back (the sweep is given `now`; stored times must be in the past)."""
    names = ("created_at", "acknowledge_due_at", "first_response_due_at", "close_due_at")
    with db.unit_of_work() as session:
        case = session.get_one(Case, case_id)
        values = {name: getattr(case, name) - timedelta(hours=hours) for name in names}
        session.execute(update(Case).where(Case.id == case_id).values(**values))


def test_warnings_then_breaches_once_each_with_escalation_to_the_lead(db: Database) -> None:
    with db.unit_of_work() as session:
        agent, lead = make_user(session), make_user(session)
        team = make_team(session, members=[agent], lead_user_id=lead.id)
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
        cases.replace_policies(session, items=[SlaPolicyIn(team_id=team.id, warn_minutes=30, reassign_to_lead=True)])
        case_id = open_case(session, make_customer(session).id, 1)[0].id
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        assert cases.sweep(session, now=now).warnings == 0
        warned = cases.sweep(session, now=now + timedelta(minutes=100))
        assert (warned.warnings, warned.breaches) == (1, 0)
        assert cases.sweep(session, now=now + timedelta(minutes=110)).warnings == 0  # once
    assert [e["clock"] for e in events(db, "case.sla_warning")] == ["acknowledge"]
    with db.unit_of_work() as session:
        breached = cases.sweep(session, now=now + timedelta(minutes=125))
        assert (breached.breaches, breached.escalated) == (1, 1)
        again = cases.sweep(session, now=now + timedelta(minutes=126))
        assert (again.breaches, again.warnings) == (0, 0)
        case = cases.require_case(session, case_id=case_id)
        assert case.owner_user_id == lead.id
        kinds = [a.kind for a in cases.case_detail(session, case).activity]
    assert kinds[-3:] == ["sla_warning", "sla_breached", "escalated"]
    (breach,) = events(db, "case.sla_breached")
    assert breach["case_id"] == case_id and breach["clock"] == "acknowledge"
    assert (breach["lead_user_id"], breach["owner_user_id"], breach["team_id"]) == (lead.id, agent.id, team.id)


def test_stopped_clocks_do_not_fire_and_a_reopened_case_can_breach_its_close_again(db: Database) -> None:
    with db.unit_of_work() as session:
        case_id = open_case(session, make_customer(session).id, 1)[0].id
        cases.transition(session, case_id=case_id, action=CaseAction.acknowledge, actor=SYSTEM)
        cases.add_note(session, case_id=case_id, text="sorry", response=True, actor=SYSTEM)
    _backdate(db, case_id, 50)
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        result = cases.sweep(session, now=now)
        assert result.breaches == 1  # only the close clock still runs
        cases.transition(session, case_id=case_id, action=CaseAction.close, actor=SYSTEM)
        cases.transition(session, case_id=case_id, action=CaseAction.reopen, actor=SYSTEM)
        assert cases.sweep(session, now=now).breaches == 0  # the close clock started again
        assert cases.sweep(session, now=now + timedelta(hours=49)).breaches == 1
    assert [e["clock"] for e in events(db, "case.sla_breached")] == ["close", "close"]


def test_the_sweep_is_a_periodic_worker_job(db: Database) -> None:
    with db.unit_of_work() as session:
        case_id = open_case(session, make_customer(session).id, 1)[0].id
    _backdate(db, case_id, 3)

    class Runtime:
        database = db

    job = next(j for j in queued if j.name == tasks.SLA_SWEEP_JOB)
    assert job.every_minutes == 1
    queued.run(Runtime(), tasks.SLA_SWEEP_JOB, {})
    queued.run(Runtime(), tasks.SLA_SWEEP_JOB, {})
    with db.unit_of_work() as session:
        clocks = [e["clock"] for e in events(db, "case.sla_breached")]
        assert clocks == ["acknowledge"] and session.scalar(select(Case.id)) == case_id


def test_a_breach_can_go_to_the_teams_next_agent_by_its_routing(db: Database) -> None:
    with db.unit_of_work() as session:
        ann, bob, cyd = make_user(session), make_user(session), make_user(session)
        team = make_team(session, members=[ann, bob, cyd])
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
        cases.replace_policies(session, items=[SlaPolicyIn(team_id=team.id, reassign_to_next_agent=True)])
        case = open_case(session, make_customer(session).id, 1)[0]
        first_owner = case.owner_user_id
        assert first_owner == ann.id  # round robin starts with the first member
        assert cases.sweep(session, now=datetime.now(UTC) + timedelta(minutes=125)).escalated == 1
        case = cases.require_case(session, case_id=case.id)
        [escalated] = [a for a in cases.case_detail(session, case).activity if a.kind == "escalated"]
    assert case.owner_user_id == bob.id and escalated.detail["to_user_id"] == bob.id
    assert escalated.detail["reason"] == (
        "the acknowledge SLA was breached; the policy reassigns to the team's next agent (round robin)"
    )
    with pytest.raises(ValueError, match="choose one"):
        SlaPolicyIn(reassign_to_lead=True, reassign_to_next_agent=True)
