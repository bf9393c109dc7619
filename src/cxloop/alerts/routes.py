"""/api/v1/alert-rules and /api/v1/alerts (docs/alerts.md): analysts write and try rules, viewers read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from cxloop.access.deps import ActorDep, AnalystDep, ViewerDep
from cxloop.alerts import service as alerts
from cxloop.alerts.schemas import MAX_DAYS, AlertRead, RuleCreate, RuleRead, RuleUpdate, TryDraft, TryResult
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["alerts"])

Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="how many days back to look")]
AUDITED = {"name", "source", "enabled", "conditions", "actions", "version"}  # what the audit log records of a rule


@router.get("/alert-rules", response_model=list[RuleRead])
def list_rules(session: SessionDep, _: ViewerDep) -> list[RuleRead]:
    return [alerts.read(r) for r in alerts.list_rules(session)]


@router.post("/alert-rules", response_model=RuleRead, status_code=status.HTTP_201_CREATED)
def create_rule(body: RuleCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> RuleRead:
    """Store a rule (disabled unless `enabled` is sent) on feedback (`source` by default) or on anomalies: 422 naming
    a condition's unknown field (or a field of the other source), operator or value, or a case opened on anomalies."""
    made = alerts.read(alerts.create_rule(session, data=body))
    after = made.model_dump(mode="json", include=AUDITED)
    audit.record(session, actor=actor, action=AuditAction.alert_rule_created, target_id=made.id, after=after)
    return made


@router.post("/alert-rules/try", response_model=TryResult)
def try_draft(body: TryDraft, session: SessionDep, _: AnalystDep) -> TryResult:
    """How often a rule not saved yet would have fired over the last `days` days (default 30). Writes nothing."""
    return alerts.try_rule(session, draft=body.rule, days=body.days)


@router.get("/alert-rules/{rule_id:int}", response_model=RuleRead)
def get_rule(rule_id: Id, session: SessionDep, _: ViewerDep) -> RuleRead:
    return alerts.read(alerts.require_rule(session, rule_id=rule_id))


@router.patch("/alert-rules/{rule_id:int}", response_model=RuleRead)
def update_rule(rule_id: Id, body: RuleUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> RuleRead:
    """Change a rule; a new name, conditions or actions make a new version. `enabled` switches it on or off; the
    source stays (422)."""
    before = alerts.read(alerts.require_rule(session, rule_id=rule_id)).model_dump(mode="json", include=AUDITED)
    changed = alerts.read(alerts.update_rule(session, rule_id=rule_id, data=body))
    after = changed.model_dump(mode="json", include=AUDITED)
    audit.record(
        session, actor=actor, action=AuditAction.alert_rule_updated, target_id=rule_id, before=before, after=after
    )
    return changed


@router.delete("/alert-rules/{rule_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: Id, session: SessionDep, _: AnalystDep, actor: ActorDep) -> None:
    """Remove a rule and its alerts (the cases it opened stay)."""
    before = {"name": alerts.require_rule(session, rule_id=rule_id).name}
    alerts.delete_rule(session, rule_id=rule_id)
    audit.record(session, actor=actor, action=AuditAction.alert_rule_deleted, target_id=rule_id, before=before)


@router.post("/alert-rules/{rule_id:int}/try", response_model=TryResult)
def try_rule(rule_id: Id, session: SessionDep, _: AnalystDep, days: Days = 30) -> TryResult:
    """How often this rule (enabled or not) would have fired over the last `days` days. Writes nothing."""
    draft = alerts.draft_of(alerts.require_rule(session, rule_id=rule_id))
    return alerts.try_rule(session, draft=draft, days=days)


@router.get("/alerts", response_model=list[AlertRead])
def list_alerts(
    session: SessionDep,
    _: ViewerDep,
    rule_id: Id | None = None,
    alert_id: Annotated[list[Id] | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AlertRead]:
    """Fired alerts, newest first; `alert_id` (repeatable) looks up the ids an `alert.fired` message carried."""
    return alerts.list_alerts(session, rule_id=rule_id, ids=alert_id, limit=limit)
