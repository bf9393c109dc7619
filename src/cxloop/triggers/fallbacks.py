"""Falling back to another channel when the provider reports an invitation's message undelivered.

A trigger rule names its channel and, in order, its fallbacks (e.g. sms, then email). The contact policy already
falls back when a channel cannot be used at all (no consent, no address); this covers the message that went out
and did not arrive (an SMS `undelivered` / `failed`, a hard email bounce): the customer is invited again on the
next channel of the rule after the failed one, through the contact policy like any invitation. The new
invitation's occurrence key is `fallback:<failed invitation id>`, so a replayed event invites no one twice.
Invitations made by hand through the API keep no fallbacks: they stay `failed` and show so in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.invitations import delivery_status as delivery
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import DeliveryStatus, InvitationStatus
from cxloop.invitations.errors import InvitationNotFound
from cxloop.triggers import service as triggers


def occurrence_key(failed_invitation_id: int) -> str:
    return f"fallback:{failed_invitation_id}"


def fall_back(session: Session, *, invitation_ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """Invite again on the rule's next channel for each failed invitation that has one; the new invitations' ids."""
    now = now or utcnow()
    created: list[int] = []
    for invitation_id in invitation_ids:
        try:
            failed = invitations.get(session, invitation_id)
        except InvitationNotFound:  # erased with its customer since
            continue
        reported = DeliveryStatus(failed.delivery_status) if failed.delivery_status else None
        if failed.status != InvitationStatus.failed or reported not in delivery.FALLS_BACK or failed.rule_id is None:
            continue
        rule = triggers.get_rule(session, rule_id=failed.rule_id)
        if rule is None:
            continue
        chain = [rule.channel, *(rule.fallbacks or [])]
        later = chain[chain.index(failed.channel) + 1 :] if failed.channel in chain else []
        if not later:
            continue
        request = invitations.InviteRequest(
            survey_id=failed.survey_id,
            customer_id=failed.customer_id,
            channel=later[0],
            fallbacks=tuple(later[1:]),
            touchpoint_id=failed.touchpoint_id,
            rule_id=rule.id,
            occurrence_key=occurrence_key(failed.id),
            at=now,
        )
        invitation = invitations.invite(session, request, now=now)
        invitations.queue_send(session, invitation, now=now)
        created.append(invitation.id)
    return created
