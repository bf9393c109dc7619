"""Trigger rules over the API (analyst writes, viewer reads); docs/triggers-and-worker.md."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from cxloop.access.deps import ActorDep, AnalystDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.triggers import service as triggers
from cxloop.triggers.enums import TriggerKind
from cxloop.triggers.schemas import TriggerRuleCreate, TriggerRulePage, TriggerRuleRead, TriggerRuleUpdate

router = APIRouter(prefix="/trigger-rules", tags=["trigger-rules"])


@router.get("", response_model=TriggerRulePage)
def list_rules(
    session: SessionDep, _: ViewerDep, kind: TriggerKind | None = None, enabled: bool | None = None
) -> TriggerRulePage:
    """Every trigger rule, optionally of one kind (event, time) or enabled state."""
    items = [triggers.rule_read(r) for r in triggers.list_rules(session, kind=kind, enabled=enabled)]
    return TriggerRulePage(items=items, total=len(items))


@router.post("", response_model=TriggerRuleRead, status_code=status.HTTP_201_CREATED)
def create_rule(body: TriggerRuleCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> TriggerRuleRead:
    """Create an event rule or a time rule (409 when the key is taken)."""
    made = triggers.rule_read(triggers.create_rule(session, data=body))
    audit.record(
        session, actor=actor, action=AuditAction.trigger_rule_created, target_id=made.id, after=made.model_dump()
    )
    return made


@router.get("/{rule_id:int}", response_model=TriggerRuleRead)
def get_rule(rule_id: Id, session: SessionDep, _: ViewerDep) -> TriggerRuleRead:
    """One trigger rule."""
    return triggers.rule_read(triggers.require_rule(session, rule_id=rule_id))


@router.patch("/{rule_id:int}", response_model=TriggerRuleRead)
def update_rule(
    rule_id: Id, body: TriggerRuleUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> TriggerRuleRead:
    """Change some fields of a rule (e.g. `{"enabled": false}` to pause it)."""
    before = triggers.rule_read(triggers.require_rule(session, rule_id=rule_id)).model_dump()
    after = triggers.rule_read(triggers.update_rule(session, rule_id=rule_id, data=body))
    audit.record(
        session,
        actor=actor,
        action=AuditAction.trigger_rule_updated,
        target_id=rule_id,
        before=before,
        after=after.model_dump(),
    )
    return after


@router.delete("/{rule_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: Id, session: SessionDep, _: AnalystDep, actor: ActorDep) -> Response:
    """Delete a rule; the invitations it made stay."""
    before = triggers.rule_read(triggers.require_rule(session, rule_id=rule_id)).model_dump()
    triggers.delete_rule(session, rule_id=rule_id)
    audit.record(session, actor=actor, action=AuditAction.trigger_rule_deleted, target_id=rule_id, before=before)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
