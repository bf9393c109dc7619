"""Delivery status callbacks of invitation SMS (docs/channels-email-sms.md, "Delivery status").

The sender asks for them with `StatusCallback=<public url>/webhooks/sms/twilio/status?invitation=<id>`, so a report
names its invitation (the query string is covered by the signature) and is matched to it by the message SID stored
when the message was handed over. Twilio's statuses map onto invitations.enums.DeliveryStatus; the recording rules
(a later stage only, failures fail the invitation and may fall back to another channel) are
invitations.delivery_status's.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from cxloop.channels.sms.wire import StatusReport
from cxloop.collection.enums import Channel
from cxloop.invitations import delivery_status as delivery
from cxloop.invitations.enums import DeliveryStatus

# Twilio's MessageStatus values; a status not listed (a new one, or an inbound one) is acknowledged and ignored.
_STATUSES = {
    "accepted": DeliveryStatus.queued,
    "scheduled": DeliveryStatus.queued,
    "queued": DeliveryStatus.queued,
    "sending": DeliveryStatus.sending,
    "sent": DeliveryStatus.sent,
    "delivered": DeliveryStatus.delivered,
    "undelivered": DeliveryStatus.undelivered,
    "failed": DeliveryStatus.failed,
    "canceled": DeliveryStatus.canceled,
    "read": DeliveryStatus.read,
}


class StatusOutcome(StrEnum):
    """What one report did; the webhook answers it (Twilio ignores the body, people debugging read it)."""

    recorded = "recorded"
    failed = "failed"  # recorded, and the invitation is now failed
    unchanged = "unchanged"  # a repeated report, or an earlier stage than the one stored
    ignored = "ignored"  # a status cxloop does not track, or another message (a reminder)
    unmatched = "unmatched"  # no such SMS invitation


def apply_status(
    session: Session, invitation_id: int, report: StatusReport, *, now: datetime | None = None
) -> StatusOutcome:
    """Record one report on its invitation in the caller's transaction."""
    status = _STATUSES.get(report.status)
    invitation = delivery.locked_invitation(session, invitation_id)
    if invitation is None or invitation.channel != Channel.sms:
        return StatusOutcome.unmatched
    # detail is the SID once the send is recorded; a report may overtake that record by a moment.
    if status is None or invitation.detail not in (None, report.message_sid):
        return StatusOutcome.ignored
    if not delivery.is_later(invitation, status):
        return StatusOutcome.unchanged
    failed = delivery.record_delivery(invitation, status=status, error=report.error_code, now=now)
    return StatusOutcome.failed if failed else StatusOutcome.recorded
