"""Email opt-outs: the unsubscribe link and the mail client's one-click unsubscribe (RFC 8058), bounces and
complaints. Each writes the customer's email opt-out to the consent ledger at once; asking again changes nothing
(one ledger entry per actual change). An unsubscribe link names the purpose of the email it came in (surveys are
`research`, case follow-ups `follow_up`); its page also offers every purpose ('*'). An invitation's link names the
invitation, a follow-up's the customer (messaging_content). Bounces and complaints stop every purpose: the address
itself is the problem."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cxloop.channels import messaging_content as content
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.governance import consent
from cxloop.governance.enums import ConsentSource
from cxloop.governance.purposes import EVERY_PURPOSE
from cxloop.invitations import service as invitations
from cxloop.invitations.errors import InvitationExpired, InvitationNotFound
from cxloop.invitations.tokens import TokenExpired, TokenInvalid, TokenSigner

EMAIL = "email"


@dataclass(frozen=True)
class Recipient:
    """Whom an unsubscribe link speaks for: the customer, the language of their page and what the consent ledger
    says the opt-out came from."""

    customer_id: int
    locale: str | None
    note: str


# The kinds of unsubscribe token: an invitation's (its emails) or a customer's (case follow-ups; messaging_content).
_INVITATION, _CUSTOMER = content.UNSUBSCRIBE_PURPOSE, content.CUSTOMER_UNSUBSCRIBE_PURPOSE


def check_token(signer: TokenSigner, token: str, *, now: datetime | None = None) -> tuple[str, int]:
    """(kind, id) of a genuine, unexpired unsubscribe token (no database): NotFound (404) or Gone (410)."""
    for kind in (_INVITATION, _CUSTOMER):
        try:
            return kind, signer.verify(token, now=now, purpose=kind)
        except TokenInvalid:
            continue
        except TokenExpired as exc:
            raise InvitationExpired("this unsubscribe link has expired") from exc
    raise InvitationNotFound("this unsubscribe link is not valid")


def recipient_of_token(session: Session, signer: TokenSigner, token: str, *, now: datetime | None = None) -> Recipient:
    """The customer an unsubscribe token speaks for: NotFound (404; also once they are erased) or Gone (410)."""
    kind, found_id = check_token(signer, token, now=now)
    if kind == _CUSTOMER:
        customer = customers.get_customer(session, customer_id=found_id)
        if customer is None:
            raise InvitationNotFound("this unsubscribe link is not valid")
        return Recipient(customer.id, customer.locale, "follow-up email")
    try:
        invitation = invitations.get(session, found_id)
    except InvitationNotFound as exc:  # deleted with its customer or survey
        raise InvitationNotFound("this unsubscribe link is not valid") from exc
    return Recipient(invitation.customer_id, invitation.locale, f"invitation {invitation.id}")


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
) -> Recipient:
    """Opt the customer of an unsubscribe token out of email for `purpose` ('*': all); whom the token speaks for.

    `one_click`: the mail client's RFC 8058 POST (ledger source list_unsubscribe) rather than the link's page
    (unsubscribe_link)."""
    recipient = recipient_of_token(session, signer, token, now=now)
    source = ConsentSource.list_unsubscribe if one_click else ConsentSource.unsubscribe_link
    opt_out_of_email(
        session,
        customer_id=recipient.customer_id,
        source=source,
        actor="customer",
        purpose=purpose,
        note=recipient.note,
        at=now,
    )
    return recipient
