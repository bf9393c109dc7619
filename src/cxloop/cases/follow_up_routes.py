"""/api/v1/cases/{case_id}/follow-ups, /api/v1/follow-up-templates and /api/v1/improvements (docs/follow-ups.md).

Agents follow up on the cases of their own teams (a case outside them answers 404, as in cases/routes.py);
templates and improvements are managed by analysts and admins, each change audited.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from cxloop.access.deps import ActorDep, AgentDep, AnalystDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.cases.follow_up_schemas import (
    FollowUpAsk,
    FollowUpPreview,
    FollowUpRead,
    ImprovementAnnounced,
    ImprovementCreate,
    ImprovementRead,
    TemplateCreate,
    TemplateRead,
    TemplateUpdate,
)
from cxloop.cases.routes import _actor, _scope
from cxloop.cases.service import follow_up_templates as templates
from cxloop.cases.service import follow_ups, improvements
from cxloop.core.clock import utcnow
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["follow-ups"])


@router.get("/cases/{case_id:int}/follow-ups", response_model=list[FollowUpRead])
def list_follow_ups(case_id: Id, session: SessionDep, principal: AgentDep) -> list[FollowUpRead]:
    """The case's follow-ups, oldest first, with their status and the customer's replies."""
    return follow_ups.follow_ups_of_case(session, case_id=case_id, scope=_scope(session, principal))


@router.post("/cases/{case_id:int}/follow-ups/preview", response_model=FollowUpPreview)
def preview_follow_up(case_id: Id, body: FollowUpAsk, session: SessionDep, principal: AgentDep) -> FollowUpPreview:
    """The message as the customer would get it, their consent for follow-ups on the channel and the contact
    policy's verdict (which rule refuses it, or when it would leave); nothing is stored or sent."""
    return follow_ups.preview(
        session, case_id=case_id, ask=body, actor=_actor(principal), scope=_scope(session, principal), now=utcnow()
    )


@router.post("/cases/{case_id:int}/follow-ups", response_model=FollowUpRead, status_code=status.HTTP_201_CREATED)
def send_follow_up(case_id: Id, body: FollowUpAsk, session: SessionDep, principal: AgentDep) -> FollowUpRead:
    """Queue the templated message to the case's customer (sent by the worker within seconds, or after the
    customer's quiet hours for SMS); 409 naming the rule when consent or the contact policy refuses it."""
    row = follow_ups.request_follow_up(
        session, case_id=case_id, ask=body, actor=_actor(principal), scope=_scope(session, principal), now=utcnow()
    )
    return follow_ups.follow_up_reads(session, [row])[0]


@router.get("/follow-up-templates", response_model=list[TemplateRead])
def list_templates(session: SessionDep, _: AgentDep) -> list[TemplateRead]:
    return [TemplateRead.model_validate(t) for t in templates.list_templates(session)]


@router.post("/follow-up-templates", response_model=TemplateRead, status_code=status.HTTP_201_CREATED)
def create_template(body: TemplateCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> TemplateRead:
    """A template: name, channel, subject (email), body and translations, with {placeholders}
    (first_name, name, organisation, case_reference, agent_name); 422 naming an unknown one."""
    row = templates.create_template(session, data=body)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.follow_up_template_created,
        target_id=row.id,
        after=templates.template_fields(row),
    )
    return TemplateRead.model_validate(row)


@router.patch("/follow-up-templates/{template_id:int}", response_model=TemplateRead)
def update_template(
    template_id: Id, body: TemplateUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> TemplateRead:
    """Change the wording or translations, or retire the template (`is_active: false`)."""
    before, row = templates.update_template(session, template_id=template_id, data=body)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.follow_up_template_updated,
        target_id=row.id,
        before=before,
        after=templates.template_fields(row),
    )
    return TemplateRead.model_validate(row)


@router.get("/improvements", response_model=list[ImprovementRead])
def list_improvements(session: SessionDep, _: ViewerDep) -> list[ImprovementRead]:
    """Improvements, latest shipped first, with how many customers were told."""
    return improvements.improvement_reads(session, improvements.list_improvements(session))


@router.post("/improvements", response_model=ImprovementRead, status_code=status.HTTP_201_CREATED)
def create_improvement(body: ImprovementCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> ImprovementRead:
    """An improvement to announce to the customers whose cases had its root cause or theme."""
    row = improvements.create_improvement(session, data=body)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.improvement_created,
        target_id=row.id,
        changes={"title": row.title, "root_cause": body.root_cause, "theme": body.theme},
    )
    return improvements.improvement_reads(session, [row])[0]


@router.get("/improvements/{improvement_id:int}", response_model=ImprovementRead)
def get_improvement(improvement_id: Id, session: SessionDep, _: ViewerDep) -> ImprovementRead:
    row = improvements.require_improvement(session, improvement_id=improvement_id)
    return improvements.improvement_reads(session, [row])[0]


@router.post("/improvements/{improvement_id:int}/announce", response_model=ImprovementAnnounced)
def announce_improvement(
    improvement_id: Id, session: SessionDep, principal: AnalystDep, actor: ActorDep
) -> ImprovementAnnounced:
    """Queue one message per matching customer not told yet; the counts say how many were queued, told before, and
    skipped by reason (opted_out, no_consent, no_address, holdout). Running it again sends nothing twice."""
    counts = improvements.announce(session, improvement_id=improvement_id, actor=_actor(principal))
    audit.record(
        session,
        actor=actor,
        action=AuditAction.improvement_announced,
        target_id=improvement_id,
        changes=counts.model_dump(),
    )
    row = improvements.require_improvement(session, improvement_id=improvement_id)
    return ImprovementAnnounced(improvement=improvements.improvement_reads(session, [row])[0], counts=counts)
