"""Contact policies (admin changes them) and customers' consent (agents record what a customer said)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from cxloop.access.deps import ActorDep, AdminDep, AgentDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor
from cxloop.core.int_bounds import Id
from cxloop.customers import service as customers
from cxloop.governance import consent, policy, scoped_policies
from cxloop.governance.channels import registry as channels
from cxloop.governance.enums import ConsentSource
from cxloop.governance.policy_audit import record_policy_change
from cxloop.governance.purposes import Purpose
from cxloop.governance.schemas import (
    ConsentChangeRead,
    ConsentRead,
    ConsentUpdate,
    ContactPolicyRead,
    ContactPolicyUpdate,
    ScopedPolicyCreate,
    ScopedPolicyUpdate,
)
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["governance"])
_DEFAULT_CHANNELS = channels.names()


@router.get("/contact-policy", response_model=ContactPolicyRead)
def get_contact_policy(session: SessionDep, _: ViewerDep) -> ContactPolicyRead:
    """The organisation's default policy: caps, channel weights, quiet hours, sampling, holdout
    (docs/governance.md)."""
    return scoped_policies.read(policy.current_policy(session))


@router.patch("/contact-policy", response_model=ContactPolicyRead)
def update_contact_policy(
    body: ContactPolicyUpdate, session: SessionDep, _: AdminDep, actor: ActorDep
) -> ContactPolicyRead:
    """Change the default policy; it applies to every invitation decided from now on."""
    return _update(session, actor, policy.DEFAULT_KEY, body)


def _update(
    session: Session, actor: AuditActor, key: str, body: ScopedPolicyUpdate | ContactPolicyUpdate
) -> ContactPolicyRead:
    before = scoped_policies.read(scoped_policies.require_policy(session, key))
    after = scoped_policies.read(scoped_policies.update_policy(session, key=key, data=body))
    record_policy_change(session, actor=actor, key=key, before=before, after=after)
    return after


@router.get("/contact-policies", response_model=list[ContactPolicyRead])
def list_contact_policies(session: SessionDep, _: ViewerDep) -> list[ContactPolicyRead]:
    """Every policy in the order they are tried: segment-scoped ones by priority, then the default."""
    return [scoped_policies.read(found) for found in scoped_policies.list_policies(session)]


@router.post("/contact-policies", response_model=ContactPolicyRead, status_code=status.HTTP_201_CREATED)
def create_contact_policy(
    body: ScopedPolicyCreate, session: SessionDep, _: AdminDep, actor: ActorDep
) -> ContactPolicyRead:
    """A policy for the customers a segment filter matches (fields not sent are copied from the default)."""
    made = scoped_policies.read(scoped_policies.create_policy(session, data=body))
    record_policy_change(session, actor=actor, key=made.key, before=None, after=made)
    return made


@router.get("/contact-policies/{key}", response_model=ContactPolicyRead)
def get_scoped_policy(key: str, session: SessionDep, _: ViewerDep) -> ContactPolicyRead:
    return scoped_policies.read(scoped_policies.require_policy(session, key))


@router.patch("/contact-policies/{key}", response_model=ContactPolicyRead)
def update_scoped_policy(
    key: str, body: ScopedPolicyUpdate, session: SessionDep, _: AdminDep, actor: ActorDep
) -> ContactPolicyRead:
    """Change a policy; fields not sent stay. `default` is the organisation's default policy."""
    return _update(session, actor, key, body)


@router.delete("/contact-policies/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_scoped_policy(key: str, session: SessionDep, _: AdminDep, actor: ActorDep) -> None:
    """Remove a scoped policy: its customers fall back to the next matching policy, or the default."""
    before = scoped_policies.read(scoped_policies.require_policy(session, key))
    scoped_policies.delete_policy(session, key=key)
    record_policy_change(session, actor=actor, key=key, before=before, after=None)


def _consent(session: Session, customer_id: int) -> ConsentRead:
    states = consent.states_of(session, [customer_id]).get(customer_id, {})
    stored: dict[str, dict[str, bool]] = {}
    for (purpose, channel), granted in states.items():
        stored.setdefault(purpose, {})[channel] = granted
    return ConsentRead(
        customer_id=customer_id,
        states=stored,
        defaults={
            purpose: {channel: consent.allowed(states, channel, purpose) for channel in _DEFAULT_CHANNELS}
            for purpose in Purpose
        },
        history=[ConsentChangeRead.model_validate(c) for c in consent.history(session, customer_id=customer_id)],
    )


@router.get("/customers/{customer_id:int}/consent", response_model=ConsentRead)
def get_consent(customer_id: Id, session: SessionDep, _: ViewerDep) -> ConsentRead:
    """What the customer agreed to per purpose and channel, what that means for each, and every change."""
    customers.require_customer(session, customer_id=customer_id)
    return _consent(session, customer_id)


@router.post("/customers/{customer_id:int}/consent", response_model=ConsentRead)
def change_consent(
    customer_id: Id, body: ConsentUpdate, session: SessionDep, who: AgentDep, actor: ActorDep
) -> ConsentRead:
    """Record an opt-in or opt-out the customer gave elsewhere (by phone, in person); effective at once."""
    customers.require_customer(session, customer_id=customer_id)
    consent.record_change(
        session,
        customer_id=customer_id,
        purpose=body.purpose,
        channel=body.channel,
        granted=body.granted,
        source=ConsentSource.api,
        actor=f"api-key:{who.name}",
        note=body.note,
    )
    changes = {"channel": body.channel, "granted": body.granted, "source": ConsentSource.api}
    audit.record(session, actor=actor, action=AuditAction.consent_changed, target_id=customer_id, changes=changes)
    return _consent(session, customer_id)
