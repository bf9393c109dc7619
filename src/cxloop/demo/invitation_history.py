"""The demo's invitations: every invitation the simulation asked for, answered (linked to its response) or not.

They are the history of the simulated year, so they show in the fatigue report (`cxloop invitations report`) with
real response rates by channel and survey. The simulation asked the contact policy before each (demo/contact.py):
the ones it held back are written as suppressed with its reason, the SMS it moved to email with the channel asked
for, as the invitations service stores them.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cxloop.collection import service as collection
from cxloop.customers import service as customers
from cxloop.demo.contact import POLICY_CHANNELS
from cxloop.demo.programmes import rule_key
from cxloop.demo.story import SimInvitation, SurveyRole
from cxloop.demo.world import DemoWorld
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import InvitationStatus
from cxloop.journeys import service as journeys
from cxloop.surveys import service as surveys

_OPENED_SHARE = 0.35  # unanswered invitations that were opened (email and SMS links)
_TTL = timedelta(days=30)


def _opened(invitation: SimInvitation) -> bool:
    digest = hashlib.sha256(f"{invitation.customer}:{invitation.at.isoformat()}".encode()).digest()
    return digest[0] / 256 < _OPENED_SHARE


def write_invitations(
    session: Session,
    world: DemoWorld,
    survey_keys: dict[SurveyRole, str],
    locales: dict[str, str],
    rule_ids: dict[str, int],
) -> int:
    """Store every simulated invitation; the number written."""
    sent = sorted((i for s in world.stories for i in s.invitations), key=lambda i: (i.at, i.customer))
    if not sent:
        return 0
    customer_ids = customers.resolve_customer_ids(session, external_ids={i.customer for i in sent})
    survey_ids = surveys.ids_by_key(session, keys=survey_keys.values())
    touchpoint_ids = {key: ids[0] for key, ids in journeys.touchpoint_index(session).items()}
    keys = [f"demo-{i.response_key}" for i in sent if i.response_key]
    answers = collection.responses_by_key(session, idempotency_keys=keys)
    rows: list[dict[str, Any]] = []
    signups = {s.customer.external_id: s.customer.signup_at for s in world.stories}
    for invitation in sent:
        rule = rule_key(invitation, signups[invitation.customer])
        response_id, answered = answers.get(f"demo-{invitation.response_key}", (None, None))
        suppressed = invitation.reason is not None
        opened = answered or (invitation.at + timedelta(hours=2) if _opened(invitation) and not suppressed else None)
        status = (
            InvitationStatus.suppressed
            if suppressed
            else InvitationStatus.answered
            if answered
            else InvitationStatus.opened
            if opened
            else InvitationStatus.sent
        )
        rows.append(
            {
                "survey_id": survey_ids[survey_keys[invitation.survey]],
                "customer_id": customer_ids[invitation.customer],
                "channel": POLICY_CHANNELS[invitation.channel],
                "requested_channel": invitation.requested_channel,
                "touchpoint_id": touchpoint_ids.get(invitation.touchpoint),
                "rule_id": rule_ids[rule] if rule else None,
                "status": status.value,
                "reason": invitation.reason,
                "policy": invitation.policy,
                "locale": locales[invitation.customer],
                "scheduled_for": invitation.at,
                "expires_at": invitation.at + _TTL,
                "sent_at": None if suppressed else invitation.at,
                "opened_at": opened,
                "answered_at": answered,
                "response_id": response_id,
                "created_at": invitation.at,
                "updated_at": answered or invitation.at,
            }
        )
    return invitations.insert_history(session, rows)
