"""The contact policy (admin changes it) and customers' consent (agents record what a customer said)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from cxloop.access.deps import ActorDep, AdminDep, AgentDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.governance import consent, policy
from cxloop.governance.channels import registry as channels
from cxloop.governance.enums import ConsentSource
from cxloop.governance.schemas import (
    ConsentChangeRead,
    ConsentRead,
    ConsentUpdate,
    ContactPolicyRead,
    ContactPolicyUpdate,
)
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["governance"])
_DEFAULT_CHANNELS = channels.names()


@router.get("/contact-policy", response_model=ContactPolicyRead)
def get_contact_policy(session: SessionDep, _: ViewerDep) -> ContactPolicyRead:
    """The caps, quiet hours, sampling and holdout every invitation passes (docs/governance.md)."""
    return ContactPolicyRead.model_validate(policy.current_policy(session))


@router.patch("/contact-policy", response_model=ContactPolicyRead)
def update_contact_policy(
    body: ContactPolicyUpdate, session: SessionDep, _: AdminDep, actor: ActorDep
) -> ContactPolicyRead:
    """Change the contact policy; it applies to every invitation decided from now on."""
    current = policy.current_policy(session)
    before = ContactPolicyRead.model_validate(current).model_dump(exclude={"updated_at"})
    for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(current, name, value)
    current.updated_at = utcnow()
    session.flush()
    after = ContactPolicyRead.model_validate(current)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.contact_policy_changed,
        target_id=current.id,
        before=before,
        after=after.model_dump(exclude={"updated_at"}),
    )
    return after


def _consent(session: Session, customer_id: int) -> ConsentRead:
    states = consent.states_of(session, [customer_id]).get(customer_id, {})
    return ConsentRead(
        customer_id=customer_id,
        states=states,
        defaults={channel: consent.allowed(states, channel) for channel in _DEFAULT_CHANNELS},
        history=[ConsentChangeRead.model_validate(c) for c in consent.history(session, customer_id=customer_id)],
    )


@router.get("/customers/{customer_id}/consent", response_model=ConsentRead)
def get_consent(customer_id: int, session: SessionDep, _: ViewerDep) -> ConsentRead:
    """What the customer agreed to per channel, what that means for each channel, and every change."""
    customers.require_customer(session, customer_id=customer_id)
    return _consent(session, customer_id)


@router.post("/customers/{customer_id}/consent", response_model=ConsentRead)
def change_consent(
    customer_id: int, body: ConsentUpdate, session: SessionDep, who: AgentDep, actor: ActorDep
) -> ConsentRead:
    """Record an opt-in or opt-out the customer gave elsewhere (by phone, in person); effective at once."""
    customers.require_customer(session, customer_id=customer_id)
    consent.record_change(
        session,
        customer_id=customer_id,
        channel=body.channel,
        granted=body.granted,
        source=ConsentSource.api,
        actor=f"api-key:{who.name}",
        note=body.note,
    )
    changes = {"channel": body.channel, "granted": body.granted, "source": ConsentSource.api}
    audit.record(session, actor=actor, action=AuditAction.consent_changed, target_id=customer_id, changes=changes)
    return _consent(session, customer_id)
