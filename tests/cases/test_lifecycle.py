"""Cases through the service: opening (one per problem, idempotent per feedback), transitions, assignment, notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction, CaseStatus
from cxloop.cases.errors import AssignmentRefused, TransitionRefused
from cxloop.cases.schemas import Actor, CaseAssign, CaseUpdate, RootCauseCreate, RoutingRuleIn
from cxloop.core.errors import InvalidInput
from cxloop.jobs.models import OutboxEvent
from cxloop.storage.database import Database
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer

AGENT = Actor("ann", None)


def events(db: Database, name: str) -> list[dict[str, object]]:
    with db.unit_of_work() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id)).all()
        return [dict(r.payload) for r in rows]


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    """A support team of two agents as the fallback, and a customer."""
    with db.unit_of_work() as session:
        ann, bob = make_user(session, name="Ann"), make_user(session, name="Bob")
        lead = make_user(session, name="Lea")
        team = make_team(session, key="support", members=[ann, bob], lead_user_id=lead.id)
        cases.replace_rules(session, items=[RoutingRuleIn(name="everything else", team_id=team.id)])
        customer = make_customer(session)
        return {"ann": ann.id, "bob": bob.id, "lead": lead.id, "team": team.id, "customer": customer.id}


def test_a_new_case_is_routed_timed_logged_and_announced(db: Database, world: dict[str, int]) -> None:
    with db.unit_of_work() as session:
        case, created = open_case(session, world["customer"], 11, title="Refund never came")
        detail = cases.case_detail(session, case)
    assert created and detail.status == CaseStatus.new and detail.title == "Refund never came"
    assert (detail.team_id, detail.owner_user_id) == (world["team"], world["ann"])
    assert detail.routing["rule"] == "everything else" and "fallback" in detail.routing["reason"]
    assert "round robin" in detail.routing["reason"]
    # The playbook's defaults, around the clock for a team without hours.
    assert detail.acknowledge_due_at - detail.created_at == timedelta(hours=2)
    assert detail.first_response_due_at - detail.created_at == timedelta(hours=24)
    assert detail.close_due_at - detail.created_at == timedelta(hours=48)
    assert [a.kind for a in detail.activity] == ["opened", "routed"]
    assert [(t.source.value, t.id) for t in detail.triggers] == [("feedback", 11)]
    assert events(db, "case.created") == [{"case_ids": [detail.id]}]


def test_one_case_per_customer_problem_and_per_feedback_item(db: Database, world: dict[str, int]) -> None:
    with db.unit_of_work() as session:
        first, created = open_case(session, world["customer"], 11)
        again, created_again = open_case(session, world["customer"], 11)
        joined, created_joined = open_case(session, world["customer"], 12)
        other, _ = open_case(session, make_customer(session).id, 13)
        detail = cases.case_detail(session, first)
        ids = first.id, again.id, joined.id, other.id
    assert created and not created_again and not created_joined
    assert ids[0] == ids[1] == ids[2] != ids[3]
    assert [t.id for t in detail.triggers] == [11, 12]
    assert [a.kind for a in detail.activity] == ["opened", "routed", "feedback_attached"]
    # The second case went to the next member in turn.
    with db.unit_of_work() as session:
        assert cases.require_case(session, case_id=ids[3]).owner_user_id == world["bob"]


def test_the_life_cycle_and_its_refusals(db: Database, world: dict[str, int]) -> None:
    with db.unit_of_work() as session:
        case_id = open_case(session, world["customer"], 11)[0].id
        cases.create_root_cause(session, data=RootCauseCreate(key="billing", name="Billing error"))
    with db.unit_of_work() as session:
        case = cases.transition(session, case_id=case_id, action=CaseAction.acknowledge, actor=AGENT)
        assert case.status == CaseStatus.acknowledged and case.acknowledged_at is not None
        with pytest.raises(TransitionRefused, match="cannot acknowledge a case that is acknowledged"):
            cases.transition(session, case_id=case_id, action=CaseAction.acknowledge, actor=AGENT)
        cases.transition(session, case_id=case_id, action=CaseAction.start, actor=AGENT)
        with pytest.raises(InvalidInput) as missing:
            cases.transition(session, case_id=case_id, action=CaseAction.resolve, actor=AGENT)
        assert missing.value.errors[0].field == "resolution"
        with pytest.raises(InvalidInput) as unknown:
            cases.transition(
                session, case_id=case_id, action=CaseAction.resolve, actor=AGENT, resolution="x", root_cause="nope"
            )
        assert unknown.value.errors[0].field == "root_cause"
        cases.transition(
            session,
            case_id=case_id,
            action=CaseAction.resolve,
            actor=AGENT,
            resolution="Refunded twice the fee",
            root_cause="billing",
        )
        closed = cases.transition(session, case_id=case_id, action=CaseAction.close, actor=AGENT)
        assert closed.closed_at is not None and closed.open_customer_id is None
        with pytest.raises(TransitionRefused) as refused:
            cases.transition(session, case_id=case_id, action=CaseAction.resolve, actor=AGENT, resolution="again")
        assert refused.value.errors[0].field == "status" and "closed" in refused.value.errors[0].message
    with db.unit_of_work() as session:
        read = cases.case_reads(session, [cases.require_case(session, case_id=case_id)])[0]
        assert read.root_cause == "billing" and read.resolution == "Refunded twice the fee"
        assert read.actions == [CaseAction.reopen]
        # New negative feedback after closing opens a new case.
        fresh, created = open_case(session, world["customer"], 12)
        assert created and fresh.id != case_id
        cases.transition(session, case_id=fresh.id, action=CaseAction.close, actor=AGENT)
        reopened = cases.transition(session, case_id=case_id, action=CaseAction.reopen, actor=AGENT)
        assert reopened.status == CaseStatus.in_progress and reopened.reopened == 1
        assert reopened.closed_at is None and reopened.open_customer_id == world["customer"]
    assert len(events(db, "case.resolved")) == 1 and len(events(db, "case.closed")) == 2


def test_feedback_on_a_resolved_case_reopens_it(db: Database, world: dict[str, int]) -> None:
    with db.unit_of_work() as session:
        case_id = open_case(session, world["customer"], 11)[0].id
        cases.transition(session, case_id=case_id, action=CaseAction.resolve, actor=AGENT, resolution="fixed")
        case, created = open_case(session, world["customer"], 12)
        assert not created and case.id == case_id and case.status == CaseStatus.in_progress
        assert case.resolved_at is None


def test_assignment_stays_inside_the_team(db: Database, world: dict[str, int]) -> None:
    with db.unit_of_work() as session:
        outsider = make_user(session)
        other = make_team(session, members=[outsider])
        case_id = open_case(session, world["customer"], 11)[0].id
        with pytest.raises(AssignmentRefused) as refused:
            cases.assign(session, case_id=case_id, data=CaseAssign(owner_user_id=outsider.id), actor=AGENT)
        assert refused.value.errors[0].field == "owner_user_id"
        assert (
            cases.assign(
                session, case_id=case_id, data=CaseAssign(owner_user_id=world["bob"]), actor=AGENT
            ).owner_user_id
            == world["bob"]
        )
        assert (
            cases.assign(
                session, case_id=case_id, data=CaseAssign(owner_user_id=world["lead"]), actor=AGENT
            ).owner_user_id
            == world["lead"]
        )
        moved = cases.assign(session, case_id=case_id, data=CaseAssign(team_id=other.id), actor=AGENT)
        assert (moved.team_id, moved.owner_user_id) == (other.id, outsider.id)
        with pytest.raises(InvalidInput) as unknown:
            cases.assign(session, case_id=case_id, data=CaseAssign(team_id=999), actor=AGENT)
        assert unknown.value.errors[0].field == "team_id"
        cases.transition(session, case_id=case_id, action=CaseAction.close, actor=AGENT)
        with pytest.raises(TransitionRefused):
            cases.assign(session, case_id=case_id, data=CaseAssign(owner_user_id=outsider.id), actor=AGENT)
        detail = cases.case_detail(session, cases.require_case(session, case_id=case_id))
    assigned = [a for a in detail.activity if a.kind == "assigned"]
    assert [a.detail["to_user_id"] for a in assigned] == [world["bob"], world["lead"], outsider.id]
    assert all(a.actor == "ann" for a in assigned)


def test_notes_responses_and_edits_are_logged(db: Database, world: dict[str, int]) -> None:
    with db.unit_of_work() as session:
        case_id = open_case(session, world["customer"], 11)[0].id
        cases.add_note(session, case_id=case_id, text="Called, no answer", actor=AGENT)
        assert cases.require_case(session, case_id=case_id).first_response_at is None
        cases.add_note(session, case_id=case_id, text="Emailed an apology", actor=AGENT, response=True)
        first = cases.require_case(session, case_id=case_id).first_response_at
        cases.add_note(session, case_id=case_id, text="Second reply", actor=AGENT, response=True)
        assert first is not None and cases.require_case(session, case_id=case_id).first_response_at == first
        before = cases.require_case(session, case_id=case_id).acknowledge_due_at
        case = cases.update_case(
            session, case_id=case_id, data=CaseUpdate(priority="urgent", tags=["vip", "refund", "vip"]), actor=AGENT
        )
        assert case.tags == ["refund", "vip"] and case.acknowledge_due_at == before  # same default policy
        detail = cases.case_detail(session, case)
    kinds = [(a.kind, a.note) for a in detail.activity if a.kind in ("note", "response")]
    assert kinds == [("note", "Called, no answer"), ("response", "Emailed an apology"), ("response", "Second reply")]
    updated = next(a for a in detail.activity if a.kind == "updated")
    assert updated.detail["priority"] == {"from": "normal", "to": "urgent"}


def test_an_unknown_customer_or_team_is_refused_by_field(db: Database) -> None:
    with db.unit_of_work() as session, pytest.raises(InvalidInput) as refused:
        open_case(session, 4242, 1)
    assert refused.value.errors[0].field == "customer_id"
    with db.unit_of_work() as session, pytest.raises(InvalidInput) as no_team:
        open_case(session, make_customer(session).id, 1, team_id=4242)
    assert no_team.value.errors[0].field == "team_id"


def test_without_rules_a_case_is_left_unrouted_and_says_why(db: Database) -> None:
    with db.unit_of_work() as session:
        case, _ = open_case(session, make_customer(session).id, 1)
        assert case.team_id is None and case.owner_user_id is None
        assert case.routing["reason"] == "no rule matched and there is no fallback rule"
