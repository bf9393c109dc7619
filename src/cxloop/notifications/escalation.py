"""SLA warnings and breaches told to the people who must act, by email through the notifications sender: a breach
to the case's team lead (the owner when the team has no lead), a warning before due to the case's owner (the lead
when nobody owns it). The email names the case, the clock, how late, the owner and the customer, with a link.

Exactly once per case and clock: the SLA sweep records each warning and breach once (`case_sla_marks`) and emits
one event; the message to the person is unique per (event, destination), so a replayed event, a second relay or a
restarted worker adds nothing. The message is sent by the sender with no transaction open (sender.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cxloop.jobs.events import CASE_SLA_BREACHED
from cxloop.notifications import bodies
from cxloop.notifications import service as notifications


def recipient(name: str, payload: dict[str, Any]) -> int | None:
    """Whom an SLA event goes to: the lead for a breach, the owner for a warning (each falling back to the other)."""
    lead, owner = payload.get("lead_user_id"), payload.get("owner_user_id")
    user_id: int | None = (lead or owner) if name == CASE_SLA_BREACHED else (owner or lead)
    return user_id


def queue_escalation(
    session: Session, *, event_id: int, name: str, payload: dict[str, Any], created_at: datetime, now: datetime
) -> int | None:
    """Queue the email of one SLA event to its person; the user id it goes to (None: nobody to tell)."""
    user_id = recipient(name, payload)
    if user_id is None:
        return None
    destination_id = notifications.person_destination(session, user_id=user_id, now=now)
    if destination_id is None:
        return None
    body = bodies.event_body(session, name=name, payload=payload, created_at=created_at)
    if not body["data"].get("cases"):
        return None  # the case is gone (erased) since the sweep
    notifications.insert_messages(
        session, destination_ids=[destination_id], event_id=event_id, name=name, body=body, now=now
    )
    return user_id
