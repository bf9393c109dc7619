"""Builders for invitations: created through `invitations.invite`, so the contact policy decides the status and
channel exactly as in production, and each comes with its real signed link token.

By default a new customer (with an email address and a phone number) is invited by email to a new live survey.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from cxloop.core.config import Settings
from cxloop.customers.models import Customer
from cxloop.invitations import service as invitations
from cxloop.invitations.models import Invitation
from cxloop.invitations.tokens import TokenSigner
from tests.factories.customers import make_customer
from tests.factories.triggers import live_survey

# The signer of an app built from the test Settings (the default secret key); pass the app's own otherwise.
TEST_SIGNER = TokenSigner.of(Settings(environment="test"))
_numbers = count(1)


@dataclass(frozen=True)
class Invited:
    invitation: Invitation
    customer: Customer
    token: str  # what the link in the invitation carries


def make_invitation(
    session: Session,
    *,
    survey_id: int | None = None,
    customer: Customer | None = None,
    channel: str = "email",
    sent: bool = False,
    signer: TokenSigner = TEST_SIGNER,
    now: datetime | None = None,
    **request: Any,
) -> Invited:
    """Invite `customer` (default: a new reachable one) to `survey_id` (default: a new live survey); `sent=True`
    also marks it sent, as the channel sender would. `request` takes the other InviteRequest fields."""
    if customer is None:
        number = next(_numbers)
        customer = make_customer(session, email=f"invitee-{number}@example.com", phone=f"+1201555{number % 10000:04d}")
    if survey_id is None:
        survey_id = live_survey(session).id
    invitation = invitations.invite(
        session,
        invitations.InviteRequest(survey_id=survey_id, customer_id=customer.id, channel=channel, **request),
        now=now,
    )
    if sent:
        assert invitation.status == "scheduled", f"cannot send a {invitation.status} invitation ({invitation.reason})"
        invitations.mark_sent(invitation, now=now)
    return Invited(invitation, customer, invitations.token_for(signer, invitation))
