"""Consent per customer, purpose and channel, with a ledger of every change (when, how, by whom).

Defaults when a customer never said anything: email and in-product channels are allowed (the customer has a
relationship with the company), SMS needs an explicit opt-in. A row on purpose '*' covers every purpose and a row on
channel '*' every channel. Any opt-out that covers a send beats every opt-in (a "no" on '*' silences all), and
takes effect at once: the next contact-policy decision reads it.
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
from cxloop.governance.purposes import EVERY_PURPOSE

EVERY_CHANNEL = "*"
NEEDS_OPT_IN = channels.needing_opt_in()
# A customer's stored states: (purpose, channel) -> granted.
States = dict[tuple[str, str], bool]


def record_change(
    session: Session,
    *,
    customer_id: int,
    purpose: str,
    channel: str,
    granted: bool,
    source: ConsentSource,
    actor: str,
    note: str = "",
    at: datetime | None = None,
) -> ConsentChange:
    """Set a customer's consent for a purpose and channel ('*' for all) and write it to the ledger, in the caller's
    transaction."""
    at = at or utcnow()
    current = session.get(Consent, (customer_id, purpose, channel))
    if current is None:
        session.add(Consent(customer_id=customer_id, purpose=purpose, channel=channel, granted=granted, changed_at=at))
    else:
        current.granted = granted
        current.changed_at = at
    change = ConsentChange(
        customer_id=customer_id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source.value,
        actor=actor,
        note=note,
        at=at,
    )
    session.add(change)
    session.flush()
    return change


def _covering(purpose: str, channel: str) -> tuple[tuple[str, str], ...]:
    """The stored keys that speak about a send for `purpose` on `channel`."""
    return tuple((p, c) for p in (purpose, EVERY_PURPOSE) for c in (channel, EVERY_CHANNEL))


def opted_out(states: States, channel: str, purpose: str) -> bool:
    """True when the customer said no to this purpose or channel (or to all), rather than never said yes."""
    return any(states.get(key) is False for key in _covering(purpose, channel))


def allowed(states: States, channel: str, purpose: str) -> bool:
    """Whether a channel may be used for a purpose, given a customer's stored states."""
    if opted_out(states, channel, purpose):
        return False
    if any(states.get((p, channel)) for p in (purpose, EVERY_PURPOSE)):  # an opt-in names its channel
        return True
    return channel not in NEEDS_OPT_IN


def states_of(session: Session, customer_ids: Sequence[int]) -> dict[int, States]:
    """Stored consent states per customer (customers with none are absent)."""
    found: dict[int, States] = {}
    for start in range(0, len(customer_ids), 5_000):
        chunk = list(customer_ids[start : start + 5_000])
        rows = session.execute(
            select(Consent.customer_id, Consent.purpose, Consent.channel, Consent.granted).where(
                Consent.customer_id.in_(chunk)
            )
        )
        for customer_id, purpose, channel, granted in rows:
            found.setdefault(customer_id, {})[(purpose, channel)] = granted
    return found


def history(session: Session, *, customer_id: int) -> Sequence[ConsentChange]:
    """Every consent change of a customer, oldest first."""
    query = select(ConsentChange).where(ConsentChange.customer_id == customer_id)
    return session.scalars(query.order_by(ConsentChange.at, ConsentChange.id)).all()
