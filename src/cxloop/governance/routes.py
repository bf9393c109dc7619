"""The contact policy (admin changes it) and customers' consent (agents record what a customer said)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from cxloop.access.deps import AdminDep, AgentDep, ViewerDep
from cxloop.core.clock import utcnow
from cxloop.core.int_bounds import Id
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
def update_contact_policy(body: ContactPolicyUpdate, session: SessionDep, _: AdminDep) -> ContactPolicyRead:
    """Change the contact policy; it applies to every invitation decided from now on."""
    current = policy.current_policy(session)
    for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(current, name, value)
    current.updated_at = utcnow()
    session.flush()
    return ContactPolicyRead.model_validate(current)


def _consent(session: Session, customer_id: int) -> ConsentRead:
    states = consent.states_of(session, [customer_id]).get(customer_id, {})
    return ConsentRead(
        customer_id=customer_id,
        states=states,
        defaults={channel: consent.allowed(states, channel) for channel in _DEFAULT_CHANNELS},
        history=[ConsentChangeRead.model_validate(c) for c in consent.history(session, customer_id=customer_id)],
    )


@router.get("/customers/{customer_id:int}/consent", response_model=ConsentRead)
def get_consent(customer_id: Id, session: SessionDep, _: ViewerDep) -> ConsentRead:
    """What the customer agreed to per channel, what that means for each channel, and every change."""
    customers.require_customer(session, customer_id=customer_id)
    return _consent(session, customer_id)


@router.post("/customers/{customer_id:int}/consent", response_model=ConsentRead)
def change_consent(customer_id: Id, body: ConsentUpdate, session: SessionDep, who: AgentDep) -> ConsentRead:
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
    return _consent(session, customer_id)
