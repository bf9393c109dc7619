"""Email opt-outs: the unsubscribe link and the mail client's one-click unsubscribe (RFC 8058), bounces and
complaints. Each writes the customer's email opt-out to the consent ledger at once; asking again changes nothing
(one ledger entry per actual change). An unsubscribe link names the purpose of the email it came in (surveys are
`research`); its page also offers every purpose ('*'). Bounces and complaints stop every purpose: the address
itself is the problem."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cxloop.channels import messaging_content as content
from cxloop.core.clock import utcnow
from cxloop.governance import consent
from cxloop.governance.enums import ConsentSource
from cxloop.governance.purposes import EVERY_PURPOSE
from cxloop.invitations import service as invitations
from cxloop.invitations.errors import InvitationExpired, InvitationNotFound
from cxloop.invitations.models import Invitation
from cxloop.invitations.tokens import TokenExpired, TokenInvalid, TokenSigner

EMAIL = "email"


def check_token(signer: TokenSigner, token: str, *, now: datetime | None = None) -> int:
    """The invitation id of a genuine, unexpired unsubscribe token (no database): InvitationNotFound (404) or
    InvitationExpired (410)."""
    try:
        return signer.verify(token, now=now, purpose=content.UNSUBSCRIBE_PURPOSE)
    except TokenInvalid as exc:
        raise InvitationNotFound("this unsubscribe link is not valid") from exc
    except TokenExpired as exc:
        raise InvitationExpired("this unsubscribe link has expired") from exc


def invitation_of_token(
    session: Session, signer: TokenSigner, token: str, *, now: datetime | None = None
) -> Invitation:
    """The invitation of an unsubscribe token: InvitationNotFound (404) or InvitationExpired (410)."""
    invitation_id = check_token(signer, token, now=now)
    try:
        return invitations.get(session, invitation_id)
    except InvitationNotFound as exc:  # deleted with its customer or survey
        raise InvitationNotFound("this unsubscribe link is not valid") from exc


def opt_out_of_email(
    session: Session,
    *,
    customer_id: int,
    source: ConsentSource,
    actor: str,
    purpose: str = EVERY_PURPOSE,
    note: str = "",
    at: datetime | None = None,
) -> bool:
    """Record the customer's email opt-out for `purpose` ('*': all); False when they were opted out already
    (nothing written)."""
    states = consent.states_of(session, [customer_id]).get(customer_id, {})
    if consent.opted_out(states, EMAIL, purpose):
        return False
    consent.record_change(
        session,
        customer_id=customer_id,
        purpose=purpose,
        channel=EMAIL,
        granted=False,
        source=source,
        actor=actor,
        note=note,
        at=at or utcnow(),
    )
    return True


def unsubscribe(
    session: Session,
    signer: TokenSigner,
    token: str,
    *,
    purpose: str,
    one_click: bool,
    now: datetime | None = None,
) -> Invitation:
    """Opt the customer of an unsubscribe token out of email for `purpose` ('*': all); the invitation it came from.

    `one_click`: the mail client's RFC 8058 POST (ledger source list_unsubscribe) rather than the link's page
    (unsubscribe_link)."""
    invitation = invitation_of_token(session, signer, token, now=now)
    source = ConsentSource.list_unsubscribe if one_click else ConsentSource.unsubscribe_link
    opt_out_of_email(
        session,
        customer_id=invitation.customer_id,
        source=source,
        actor="customer",
        purpose=purpose,
        note=f"invitation {invitation.id}",
        at=now,
    )
    return invitation
