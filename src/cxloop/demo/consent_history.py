"""The demo customers' consent, written to the consent ledger as the simulation assumed it (demo/consent.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cxloop.customers import service as customers
from cxloop.demo.world import DemoWorld
from cxloop.governance import consent
from cxloop.governance.enums import ConsentSource
from cxloop.governance.purposes import Purpose


def write_consent(session: Session, world: DemoWorld) -> int:
    """Each SMS opt-in (at sign-up) and email opt-out (an unsubscribe link, later); the number of changes."""
    ids = customers.resolve_customer_ids(session, external_ids=[s.customer.external_id for s in world.stories])
    changes = 0
    for story in world.stories:
        plan, customer_id = story.consent, ids[story.customer.external_id]
        if plan.sms_opt_in is not None:
            consent.record_change(
                session,
                customer_id=customer_id,
                purpose=Purpose.research.value,
                channel="sms",
                granted=True,
                source=ConsentSource.api,
                actor="demo",
                note="opted in to texts at sign-up",
                at=plan.sms_opt_in,
            )
            changes += 1
        if plan.email_opt_out is not None:
            consent.record_change(
                session,
                customer_id=customer_id,
                purpose=Purpose.research.value,
                channel="email",
                granted=False,
                source=ConsentSource.unsubscribe_link,
                actor="customer",
                note="unsubscribed from survey emails",
                at=plan.email_opt_out,
            )
            changes += 1
    return changes
