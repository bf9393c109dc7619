"""The audit entry of every change to a contact policy, in the caller's transaction: used by the API
(governance/routes.py) and the web app's settings (web/settings_policy.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor
from cxloop.governance.schemas import ContactPolicyRead


def record_policy_change(
    session: Session,
    *,
    actor: AuditActor,
    key: str,
    before: ContactPolicyRead | None,
    after: ContactPolicyRead | None,
) -> None:
    """`contact_policy.changed` with the fields that changed (None before: created; None after: deleted)."""
    fields = {"updated_at"}
    audit.record(
        session,
        actor=actor,
        action=AuditAction.contact_policy_changed,
        target_id=key,
        before=before.model_dump(exclude=fields) if before else {},
        after=after.model_dump(exclude=fields) if after else {},
    )
