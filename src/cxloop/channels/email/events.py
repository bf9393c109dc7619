"""Bounce and complaint notifications from the mail provider, in one documented generic shape
(docs/channels-email-sms.md):

    {"type": "bounce", "email": "ana@example.com", "message_id": "<cxloop-invitation-42.9f...@example.com>",
     "reason": "550 5.1.1 user unknown", "bounce_type": "hard"}

A body is one such object or a list of them. A hard bounce or a complaint opts every customer with that address out
of email (ledger source bounce / complaint) and marks the invitation the message carried failed. A soft
(temporary) bounce changes nothing: the mail server retries it, and a final failure arrives as a hard bounce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from cxloop.channels.email import composing, unsubscribing
from cxloop.collection.enums import Channel
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.governance.enums import ConsentSource
from cxloop.invitations import delivery_status as delivery
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import DeliveryStatus
from cxloop.invitations.errors import InvitationNotFound

if TYPE_CHECKING:
    from cxloop.invitations.models import Invitation

MAX_EVENTS = 1_000


class EmailEvent(BaseModel):
    """One notification; `email` or `message_id` (or both) says whom it is about. Unknown fields are ignored, so a
    provider's own extra fields pass through."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    type: Literal["bounce", "complaint"]
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    message_id: str | None = Field(default=None, min_length=1, max_length=500)
    reason: str = Field(default="", max_length=2_000)
    bounce_type: Literal["hard", "soft"] = "hard"

    @model_validator(mode="after")
    def _someone(self) -> EmailEvent:
        if self.email is None and self.message_id is None:
            raise ValueError("give 'email' or 'message_id' (or both) to say which message or address this is about")
        return self


@dataclass
class EventOutcome:
    """What the notifications changed: customers newly opted out of email, invitations marked failed, and the
    notifications that changed nothing on purpose (soft bounces) or matched nothing stored."""

    opted_out: list[int] = field(default_factory=list)
    failed_invitations: list[int] = field(default_factory=list)
    ignored: int = 0
    unmatched: int = 0


def _invitation(session: Session, message_id: str | None) -> Invitation | None:
    invitation_id = composing.invitation_of(message_id) if message_id else None
    if invitation_id is None:
        return None
    try:
        found = invitations.get(session, invitation_id)
    except InvitationNotFound:
        return None
    return found if found.channel == Channel.email else None


def apply_events(session: Session, events: Sequence[EmailEvent], *, now: datetime | None = None) -> EventOutcome:
    """Apply validated notifications in the caller's transaction."""
    now = now or utcnow()
    outcome = EventOutcome()
    for event in events:
        invitation = _invitation(session, event.message_id)
        if event.type == "bounce" and event.bounce_type == "soft":
            if invitation is not None:  # kept on the invitation; its status stays, the mail server retries
                delivery.record_delivery(invitation, status=DeliveryStatus.deferred, error="soft", now=now)
            outcome.ignored += 1
            continue
        if event.email is not None:
            address = event.email.lower()
            customer_ids = customers.ids_with_email(session, email=address)
        else:
            customer_ids = [invitation.customer_id] if invitation is not None else []
        if invitation is None and not customer_ids:
            outcome.unmatched += 1
            continue
        source = ConsentSource.bounce if event.type == "bounce" else ConsentSource.complaint
        note = f"{event.type}: {event.reason}".strip().rstrip(":")
        for customer_id in customer_ids:
            changed = unsubscribing.opt_out_of_email(
                session, customer_id=customer_id, source=source, actor="email provider", note=note, at=now
            )
            if changed:
                outcome.opted_out.append(customer_id)
        status = DeliveryStatus.bounced if event.type == "bounce" else DeliveryStatus.complained
        error = "hard" if event.type == "bounce" else "complaint"
        if invitation is not None and delivery.record_delivery(
            invitation, status=status, error=error, detail=note, now=now
        ):
            outcome.failed_invitations.append(invitation.id)
    return outcome
