"""/api/v1/cases, routing rules, SLA policies, root causes and the SLA report (docs/cases.md).

Agents see and change the cases of their own teams (the teams of the user their API key belongs to); analysts and
admins see all. A case outside the caller's teams answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from cxloop.access.deps import ActorDep, AgentDep, AnalystDep, ViewerDep
from cxloop.access.schemas import Principal
from cxloop.audit.enums import AuditAction
from cxloop.cases import service as cases
from cxloop.cases.configuration_audit import record_replaced_list
from cxloop.cases.enums import CaseAction, CasePriority, CaseStatus
from cxloop.cases.schemas import (
    Actor,
    CaseAssign,
    CaseDetail,
    CaseNote,
    CaseOpen,
    CaseOpened,
    CasePage,
    CaseTransition,
    CaseUpdate,
    RootCauseCreate,
    RootCauseRead,
    RootCauseUpdate,
    RoutingRuleRead,
    RoutingRules,
    Scope,
    SlaPolicies,
    SlaPolicyRead,
    SlaReport,
)
from cxloop.core.clock import ensure_utc, utcnow
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["cases"])


def _actor(principal: Principal) -> Actor:
    return Actor(principal.name, principal.user_id)


def _scope(session: Session, principal: Principal) -> Scope:
    return cases.scope_of(session, role=principal.role, user_id=principal.user_id)


def _detail(session: Session, case_id: int) -> CaseDetail:
    return cases.case_detail(session, cases.require_case(session, case_id=case_id))


@router.get("/cases", response_model=CasePage)
def list_cases(
    session: SessionDep,
    principal: AgentDep,
    status_: Annotated[list[CaseStatus] | None, Query(alias="status")] = None,
    team_id: Id | None = None,
    owner_user_id: Id | None = None,
    priority: CasePriority | None = None,
    customer_id: Id | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CasePage:
    """Cases newest first, filtered; `next_cursor` fetches the next page."""
    rows, next_cursor = cases.list_cases(
        session,
        scope=_scope(session, principal),
        status=status_ or (),
        team_id=team_id,
        owner_user_id=owner_user_id,
        priority=priority,
        customer_id=customer_id,
        cursor=cursor,
        limit=limit,
    )
    return CasePage(items=cases.case_reads(session, rows), next_cursor=next_cursor)


@router.post("/cases", response_model=CaseOpened, status_code=status.HTTP_201_CREATED)
def open_case(body: CaseOpen, session: SessionDep, principal: AgentDep, response: Response) -> CaseOpened:
    """Open a case for a customer's feedback (201), or join their open case / the case the feedback is on (200)."""
    case, created = cases.open_case(session, data=body, actor=_actor(principal))
    if not created:
        response.status_code = status.HTTP_200_OK
    return CaseOpened(case=cases.case_reads(session, [case])[0], created=created)


@router.get("/cases/sla-report", response_model=SlaReport)
def sla_report(
    session: SessionDep,
    _: ViewerDep,
    by: Annotated[cases.ReportBy, Query(description="team or owner")] = "team",
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
) -> SlaReport:
    """Per team or owner: % acknowledged within 2 h and 6 h, % closed within 48 h (each with n and 95 % interval,
    next to the targets 60/85/95 %), median and p90 working hours to acknowledge and to close."""
    return cases.sla_report(
        session,
        by=by,
        since=ensure_utc(since) if since else None,
        until=ensure_utc(until) if until else None,
        as_of=ensure_utc(as_of) if as_of else utcnow(),
    )


@router.get("/cases/{case_id:int}", response_model=CaseDetail)
def get_case(case_id: Id, session: SessionDep, principal: AgentDep) -> CaseDetail:
    """The case with its feedback and its activity log."""
    case = cases.require_case(session, case_id=case_id, scope=_scope(session, principal))
    return cases.case_detail(session, case)


@router.patch("/cases/{case_id:int}", response_model=CaseDetail)
def update_case(case_id: Id, body: CaseUpdate, session: SessionDep, principal: AgentDep) -> CaseDetail:
    """Change the title, priority, tags or root cause."""
    scope = _scope(session, principal)
    cases.update_case(session, case_id=case_id, data=body, actor=_actor(principal), scope=scope)
    return _detail(session, case_id)


@router.post("/cases/{case_id:int}/notes", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
def add_note(case_id: Id, body: CaseNote, session: SessionDep, principal: AgentDep) -> CaseDetail:
    """Add a note; `response: true` records a reply to the customer."""
    scope = _scope(session, principal)
    cases.add_note(
        session, case_id=case_id, text=body.text, response=body.response, actor=_actor(principal), scope=scope
    )
    return _detail(session, case_id)


@router.post("/cases/{case_id:int}/assign", response_model=CaseDetail)
def assign_case(case_id: Id, body: CaseAssign, session: SessionDep, principal: AgentDep) -> CaseDetail:
    """Give the case to a member of its team (422 for someone outside it), or move it to another team."""
    cases.assign(session, case_id=case_id, data=body, actor=_actor(principal), scope=_scope(session, principal))
    return _detail(session, case_id)


def _transition_route(action: CaseAction) -> Callable[..., Any]:
    def change(case_id: Id, session: SessionDep, principal: AgentDep, body: CaseTransition | None = None) -> CaseDetail:
        given = body or CaseTransition()
        cases.transition(
            session,
            case_id=case_id,
            action=action,
            actor=_actor(principal),
            scope=_scope(session, principal),
            resolution=given.resolution,
            root_cause=given.root_cause,
            note=given.note,
        )
        return _detail(session, case_id)

    change.__name__ = f"{action.value}_case"
    change.__doc__ = f"{action.value.capitalize()} the case (409 naming its status when that is not allowed)."
    return change


for _action in CaseAction:
    router.post(f"/cases/{{case_id}}/{_action.value}", response_model=CaseDetail)(_transition_route(_action))


@router.get("/case-root-causes", response_model=list[RootCauseRead])
def list_root_causes(session: SessionDep, _: ViewerDep) -> list[RootCauseRead]:
    return [RootCauseRead.model_validate(c) for c in cases.list_root_causes(session)]


@router.post("/case-root-causes", response_model=RootCauseRead, status_code=status.HTTP_201_CREATED)
def create_root_cause(body: RootCauseCreate, session: SessionDep, _: AnalystDep) -> RootCauseRead:
    return RootCauseRead.model_validate(cases.create_root_cause(session, data=body))


@router.patch("/case-root-causes/{root_cause_id:int}", response_model=RootCauseRead)
def update_root_cause(root_cause_id: Id, body: RootCauseUpdate, session: SessionDep, _: AnalystDep) -> RootCauseRead:
    """Rename a category or retire it (`is_active: false`)."""
    return RootCauseRead.model_validate(cases.update_root_cause(session, root_cause_id=root_cause_id, data=body))


@router.get("/case-routing-rules", response_model=list[RoutingRuleRead])
def list_routing_rules(session: SessionDep, _: ViewerDep) -> list[RoutingRuleRead]:
    """The routing rules in the order they are evaluated."""
    return cases.list_rules(session)


@router.put("/case-routing-rules", response_model=list[RoutingRuleRead])
def replace_routing_rules(
    body: RoutingRules, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> list[RoutingRuleRead]:
    """Replace the whole ordered list (a rule without conditions is the fallback)."""
    before = cases.list_rules(session)
    after = cases.replace_rules(session, items=body.items)
    record_replaced_list(session, actor=actor, action=AuditAction.routing_rules_replaced, before=before, after=after)
    return after


@router.get("/sla-policies", response_model=list[SlaPolicyRead])
def list_sla_policies(session: SessionDep, _: ViewerDep) -> list[SlaPolicyRead]:
    """The stored policies and, when no catch-all is stored, the built-in default (id null)."""
    return cases.list_policies(session)


@router.put("/sla-policies", response_model=list[SlaPolicyRead])
def replace_sla_policies(body: SlaPolicies, session: SessionDep, _: AnalystDep, actor: ActorDep) -> list[SlaPolicyRead]:
    """Replace every policy (one per team and priority; null means any)."""
    before = cases.list_policies(session)
    after = cases.replace_policies(session, items=body.items)
    record_replaced_list(session, actor=actor, action=AuditAction.sla_policies_replaced, before=before, after=after)
    return after
