"""What providers report about a message after it was handed over: SMS status callbacks (queued -> sent ->
delivered / undelivered / failed) and email bounces and complaints.

Providers retry and send several reports in any order, so a report is recorded only when it is a later stage than
the one stored: each status has a rank, and a report of the same or a lower rank changes nothing (a late `sent`
never undoes `delivered`; a repeated `failed` writes nothing). A failure (undelivered, failed, bounced, complained)
marks an invitation that was sent `failed`, so the fatigue report counts it, and emits `invitation.delivery_failed`;
its handler (triggers.fall_back) sends the invitation again on the rule's next fallback channel, except after a
complaint.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, object_session

from cxloop.core.clock import utcnow
from cxloop.invitations import hooks
from cxloop.invitations.enums import DeliveryStatus, InvitationStatus
from cxloop.invitations.models import Invitation
from cxloop.jobs import events, outbox

_RANK = {
    DeliveryStatus.queued: 1,
    DeliveryStatus.sending: 2,
    DeliveryStatus.sent: 3,
    DeliveryStatus.deferred: 3,
    DeliveryStatus.delivered: 4,
    DeliveryStatus.undelivered: 4,
    DeliveryStatus.failed: 4,
    DeliveryStatus.canceled: 4,
    DeliveryStatus.bounced: 4,
    DeliveryStatus.read: 5,
    DeliveryStatus.complained: 5,
}
FAILURES = frozenset(
    {DeliveryStatus.undelivered, DeliveryStatus.failed, DeliveryStatus.bounced, DeliveryStatus.complained}
)
# After these the customer may still be reached on another channel; a spam complaint is no reason to try SMS.
FALLS_BACK = frozenset({DeliveryStatus.undelivered, DeliveryStatus.failed, DeliveryStatus.bounced})
# A failure report fails an invitation in these states; an answered one stays answered.
_FAILABLE = (InvitationStatus.scheduled, InvitationStatus.sent, InvitationStatus.opened)


def locked_invitation(session: Session, invitation_id: int) -> Invitation | None:
    """The invitation, locked for this transaction: two reports arriving together are recorded one after the other,
    so neither overwrites a later stage with an earlier one."""
    return session.get(Invitation, invitation_id, with_for_update=True, populate_existing=True)


def is_later(invitation: Invitation, status: DeliveryStatus) -> bool:
    """Whether `status` is a later stage than the one the invitation has recorded."""
    current = invitation.delivery_status
    return current is None or _RANK[status] > _RANK.get(DeliveryStatus(current), 0)


def record_delivery(
    invitation: Invitation,
    *,
    status: DeliveryStatus,
    error: str | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a provider's report on the invitation's message; True when the invitation was marked failed by it.

    `error` is the provider's code (Twilio's ErrorCode) or bounce kind; `detail`, when given, replaces the
    invitation's detail (a bounce's reason). Earlier or repeated reports change nothing."""
    if not is_later(invitation, status):
        return False
    now = now or utcnow()
    with hooks.moving(invitation):
        invitation.delivery_status = status.value
        invitation.delivery_error = error[:64] if error else invitation.delivery_error
        invitation.updated_at = now
        failed = status in FAILURES and invitation.status in _FAILABLE
        if failed:
            invitation.status = InvitationStatus.failed.value
            if detail is not None:
                invitation.detail = detail[:500]
    if not failed:
        return False
    session = object_session(invitation)
    if session is None:
        raise RuntimeError(f"invitation {invitation.id} is not in a session: its failure cannot be recorded")
    outbox.emit(session, events.INVITATION_DELIVERY_FAILED, {"invitation_ids": [invitation.id]})
    return True
