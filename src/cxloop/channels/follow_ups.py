"""Sending case follow-ups (cases.service.follow_ups) on their channel, outside any transaction (jobs.leases):

1. a short write transaction claims the follow-up (the cases service locks it, checks `_refusal` again and counts
   the attempt), composes the email or SMS here (no I/O) and leases it;
2. the exchange with the SMTP server or the SMS provider, no transaction open;
3. a short write transaction records it: sent (the case's first response, follow_up.sent), refused for good
   (failed, reason kept), or a temporary failure (retried with backoff, failed after MAX_ATTEMPTS).

The email goes from CXLOOP_EMAIL_FROM under the brand's sender name, with `Reply-To: reply+<token>@<reply domain>`
when CXLOOP_FOLLOW_UP_REPLY_DOMAIN is set, so the customer's reply comes back to the case (channels/email/inbound.py),
and ends with the unsubscribe link of the follow_up purpose (also as RFC 8058 headers); an SMS ends with how to opt
out by STOP, as invitation SMS do.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from sqlalchemy.orm import Session

from cxloop.cases.enums import FollowUpChannel
from cxloop.cases.service import follow_ups
from cxloop.channels import catalogue
from cxloop.channels import messaging_content as content
from cxloop.channels.configuration import service as configuration
from cxloop.channels.email import composing
from cxloop.channels.email import sender as email_sender
from cxloop.channels.outbound import DeliveryPostponed, DeliveryRefused, Exchange
from cxloop.channels.sms import sender as sms_sender
from cxloop.channels.sms import twilio
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.invitations.tokens import TokenSigner
from cxloop.jobs import leases
from cxloop.storage.database import Database

Outcome = tuple[bool, str]  # (sent, Message-ID / SMS sid) or (False, why it was refused for good)


def deliver_follow_up(
    database: Database, follow_up_id: int, *, settings: Settings, now: datetime | None = None
) -> bool:
    """Send one due follow-up and record the outcome; True when the channel was asked to send it. Opens its own
    short transactions: call it with none open. Raises DeliveryPostponed after a temporary failure (recorded)."""
    at = now or utcnow()
    postponed: list[str] = []

    def prepare(session: Session) -> leases.Prepared[Outcome] | None:
        letter = follow_ups.claim(session, follow_up_id, now=at)
        if letter is None:
            return None
        try:
            exchange = compose(letter, configuration.effective(session, settings), now=at)
        except DeliveryRefused as exc:
            follow_ups.record_failed(session, letter.id, reason=str(exc), now=at)
            return None
        follow_ups.hold(session, letter.id, now=at)
        return leases.Prepared(letter.id, lambda: _outcome(exchange, postponed))

    def record(session: Session, row_id: int, outcome: Outcome) -> None:
        sent, detail = outcome
        if sent:
            follow_ups.record_sent(session, row_id, detail=detail, now=at)
        else:
            follow_ups.record_failed(session, row_id, reason=detail, now=at)

    def postpone(session: Session, row_id: int) -> None:
        follow_ups.postpone(session, row_id, reason=postponed[-1] if postponed else "postponed", now=at)

    return leases.send_leased(database, prepare=prepare, record=record, postpone=postpone)


def _outcome(exchange: Exchange, postponed: list[str]) -> Outcome:
    try:
        return True, exchange()
    except DeliveryRefused as exc:
        return False, str(exc)
    except DeliveryPostponed as exc:
        postponed.append(str(exc))
        raise


def compose(letter: follow_ups.Letter, settings: Settings, *, now: datetime | None = None) -> Exchange:
    """The exchange that sends the letter (no I/O here); DeliveryRefused when its channel is not configured."""
    if letter.channel == FollowUpChannel.sms:
        client = twilio.from_settings(settings)
        if client is None:
            raise DeliveryRefused(
                "SMS is not configured: set CXLOOP_SMS_ACCOUNT_SID, CXLOOP_SMS_AUTH_TOKEN and CXLOOP_SMS_FROM"
            )
        return lambda: sms_sender.send_text(client, letter.to, sms_text(letter), None)
    target = email_sender.smtp_target(settings)
    message = email_message(letter, settings, now=now)
    return lambda: email_sender.send_message(target, message)


def sms_text(letter: follow_ups.Letter) -> str:
    """The follow-up's words, then how to opt out, as every invitation SMS ends (a STOP reply stops every message
    to the number: channels/sms/replies.py)."""
    return f"{letter.body}\n{catalogue.words('sms', letter.locale)['reply_stop']}"


def email_message(letter: follow_ups.Letter, settings: Settings, *, now: datetime | None = None) -> EmailMessage:
    """The follow-up email: plain text, as a person writes it; replies go to the follow-up's reply address. Below a
    signature line, the link that stops follow-up emails, also as RFC 8058 one-click headers (as invitations do)."""
    at = now or utcnow()
    sender_address = parseaddr(settings.email_from)[1]
    domain = sender_address.rpartition("@")[2] or "localhost"
    token = content.customer_unsubscribe_token(TokenSigner.of(settings), letter.customer_id, now=at)
    unsubscribe_url = content.unsubscribe_link(settings.public_url, token, purpose=follow_ups.PURPOSE.value)
    message = EmailMessage()
    message["Subject"] = letter.subject or ""
    message["From"] = formataddr((letter.from_name, sender_address)) if letter.from_name else settings.email_from
    message["To"] = formataddr((letter.name or "", letter.to))
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<cxloop-follow-up-{letter.id}.{secrets.token_hex(8)}@{domain}>"
    if settings.follow_up_reply_domain:
        secret = settings.secret_key.get_secret_value()
        message["Reply-To"] = follow_ups.reply_address(secret, settings.follow_up_reply_domain, letter.id)
    composing.add_unsubscribe_headers(message, unsubscribe_url)
    words = catalogue.words("email", letter.locale)
    message.set_content(f"{letter.body.rstrip()}\n\n-- \n{words['unsubscribe_follow_up']}: {unsubscribe_url}\n")
    return message
