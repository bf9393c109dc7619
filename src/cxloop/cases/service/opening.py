"""Opening cases: one per customer problem, idempotent per feedback item (docs/cases.md "One case per problem").

- feedback already attached to a case: that case is returned, nothing changes (the same feedback processed twice);
- the customer has an open case: the feedback joins it (a resolved one is reopened);
- otherwise a new case is routed, given its due times and opened.

Two transactions racing for the same customer or feedback are kept apart by unique constraints (one open case per
customer, one case per feedback item): the loser's insert fails inside a savepoint and it joins the winner's case.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.cases.enums import ActivityKind, CaseAction, CaseStatus
from cxloop.cases.models import Case, CaseTrigger
from cxloop.cases.schemas import Actor, CaseOpen, TriggerRef
from cxloop.cases.service import holdout, routing, sla
from cxloop.cases.service.lifecycle import transition
from cxloop.cases.service.records import emit, log_activity
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.customers import service as customers
from cxloop.jobs.events import CASE_CREATED, CASE_UPDATED

ROUTING_ACTOR = Actor("routing")
_ATTEMPTS = 3


def open_case(session: Session, *, data: CaseOpen, actor: Actor) -> tuple[Case, bool]:
    """The case for this feedback and whether it was created now (False: joined or found)."""
    if customers.get_customer(session, customer_id=data.customer_id) is None:
        raise InvalidInput("unknown customer", errors=[FieldError("customer_id", f"no customer {data.customer_id}")])
    if data.team_id is not None and access.get_team(session, team_id=data.team_id) is None:
        raise InvalidInput("unknown team", errors=[FieldError("team_id", f"no team {data.team_id}")])
    for _ in range(_ATTEMPTS):
        try:
            with session.begin_nested():
                return _open(session, data, actor)
        except IntegrityError:
            continue  # another transaction opened the case or attached the feedback meanwhile: look again
    raise RuntimeError("could not open the case: it kept changing under us")


def _open(session: Session, data: CaseOpen, actor: Actor) -> tuple[Case, bool]:
    triggers = list(dict.fromkeys(data.triggers))
    attached = _cases_of(session, triggers)
    if attached:
        case = session.get_one(Case, min(attached.values()))
        fresh = [t for t in triggers if t not in attached]
        if fresh:
            _attach(session, case, fresh, actor)
        return case, False
    open_case = session.scalar(select(Case).where(Case.open_customer_id == data.customer_id))
    if open_case is not None:
        _attach(session, open_case, triggers, actor)
        if open_case.status == CaseStatus.resolved and triggers:
            transition(
                session, case_id=open_case.id, action=CaseAction.reopen, actor=actor, note="new negative feedback"
            )
        return open_case, False
    return _create(session, data, triggers, actor), True


def _cases_of(session: Session, triggers: Sequence[TriggerRef]) -> dict[TriggerRef, int]:
    if not triggers:
        return {}
    pairs = [(t.source.value, t.id) for t in triggers]
    rows = session.execute(
        select(CaseTrigger.source, CaseTrigger.source_id, CaseTrigger.case_id).where(
            tuple_(CaseTrigger.source, CaseTrigger.source_id).in_(pairs)
        )
    )
    return {TriggerRef(source=source, id=source_id): case_id for source, source_id, case_id in rows}


def _attach(session: Session, case: Case, triggers: Sequence[TriggerRef], actor: Actor) -> None:
    now = utcnow()
    for trigger in triggers:
        session.add(CaseTrigger(case_id=case.id, source=trigger.source.value, source_id=trigger.id, attached_at=now))
    session.flush()
    if triggers:
        detail = {"triggers": [t.model_dump(mode="json") for t in triggers]}
        log_activity(session, case, ActivityKind.feedback_attached, actor, detail=detail)
        case.updated_at = now
        emit(session, CASE_UPDATED, [case.id])


def _create(session: Session, data: CaseOpen, triggers: Sequence[TriggerRef], actor: Actor) -> Case:
    if data.team_id is not None:
        owner, how = routing.pick_owner(session, team_id=data.team_id)
        decision = routing.Decision(data.team_id, owner, None, None, f"team chosen by {actor.name}; {how}")
    else:
        decision = routing.route(session, customer_id=data.customer_id, context=data.context)
    now = utcnow()
    case = Case(
        customer_id=data.customer_id,
        open_customer_id=data.customer_id,
        team_id=decision.team_id,
        owner_user_id=decision.owner_user_id,
        status=CaseStatus.new.value,
        priority=data.priority.value,
        title=data.title or "Negative feedback",
        tags=sorted(set(data.tags)),
        routing=routing.decision_detail(decision),
        created_at=now,
        updated_at=now,
        reopened=0,
    )
    sla.set_due_times(session, case)
    holdout.assign(session, case)
    session.add(case)
    session.flush()
    for trigger in triggers:
        session.add(CaseTrigger(case_id=case.id, source=trigger.source.value, source_id=trigger.id, attached_at=now))
    session.flush()
    log_activity(
        session, case, ActivityKind.opened, actor, detail={"triggers": [t.model_dump(mode="json") for t in triggers]}
    )
    log_activity(session, case, ActivityKind.routed, ROUTING_ACTOR, detail=routing.decision_detail(decision))
    emit(session, CASE_CREATED, [case.id])
    return case
