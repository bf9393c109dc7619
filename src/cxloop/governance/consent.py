"""Consent per customer and channel, with a ledger of every change (when, how, by whom).

Defaults when a customer never said anything: email and in-product channels are allowed (the customer has a
relationship with the company), SMS needs an explicit opt-in. An opt-out on '*' (everything) beats any channel's
opt-in, and takes effect at once: the next contact-policy decision reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.governance.channels import registry as channels
from cxloop.governance.enums import ConsentSource
from cxloop.governance.models import Consent, ConsentChange

EVERY_CHANNEL = "*"
NEEDS_OPT_IN = channels.needing_opt_in()


def record_change(
    session: Session,
    *,
    customer_id: int,
    channel: str,
    granted: bool,
    source: ConsentSource,
    actor: str,
    note: str = "",
    at: datetime | None = None,
) -> ConsentChange:
    """Set a customer's consent on a channel ('*' for all) and write it to the ledger, in the caller's transaction."""
    at = at or utcnow()
    current = session.get(Consent, (customer_id, channel))
    if current is None:
        session.add(Consent(customer_id=customer_id, channel=channel, granted=granted, changed_at=at))
    else:
        current.granted = granted
        current.changed_at = at
    change = ConsentChange(
        customer_id=customer_id, channel=channel, granted=granted, source=source.value, actor=actor, note=note, at=at
    )
    session.add(change)
    session.flush()
    return change


def allowed(states: dict[str, bool], channel: str) -> bool:
    """Whether a channel may be used, given a customer's stored states (channel -> granted)."""
    if states.get(EVERY_CHANNEL) is False:
        return False
    if channel in states:
        return states[channel]
    return channel not in NEEDS_OPT_IN


def opted_out(states: dict[str, bool], channel: str) -> bool:
    """True when the customer said no (rather than never said yes)."""
    return states.get(EVERY_CHANNEL) is False or states.get(channel) is False


def states_of(session: Session, customer_ids: Sequence[int]) -> dict[int, dict[str, bool]]:
    """Stored consent states per customer (customers with none are absent)."""
    found: dict[int, dict[str, bool]] = {}
    for start in range(0, len(customer_ids), 5_000):
        chunk = list(customer_ids[start : start + 5_000])
        rows = session.execute(
            select(Consent.customer_id, Consent.channel, Consent.granted).where(Consent.customer_id.in_(chunk))
        )
        for customer_id, channel, granted in rows:
            found.setdefault(customer_id, {})[channel] = granted
    return found


def history(session: Session, *, customer_id: int) -> Sequence[ConsentChange]:
    """Every consent change of a customer, oldest first."""
    query = select(ConsentChange).where(ConsentChange.customer_id == customer_id)
    return session.scalars(query.order_by(ConsentChange.at, ConsentChange.id)).all()
