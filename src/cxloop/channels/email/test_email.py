"""The test email an admin asks for in Settings · Channels: read the effective SMTP settings and the admin's address
in a short transaction, hand the message to the SMTP server with no transaction open, record the outcome (shown on
the channels tab)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from cxloop.access import service as access
from cxloop.access.errors import UserNotFound
from cxloop.channels.configuration import service as configuration
from cxloop.channels.email import sender
from cxloop.channels.outbound import DeliveryPostponed, DeliveryRefused
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.storage.database import Database

CHANNEL = "email"
SUBJECT = "cxloop: test email"


def message(settings: Settings, *, to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.email_from, to, SUBJECT
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=parseaddr(settings.email_from)[1].partition("@")[2] or "localhost")
    mail.set_content(
        "This email was sent by cxloop to check its email settings (Settings · Channels).\n"
        "It arrived, so invitations, follow-ups and notifications can go out the same way.\n"
    )
    return mail


def send(database: Database, settings: Settings, *, user_id: int) -> bool:
    """Send the test email to the user and record the outcome; True when the SMTP server took it."""
    with database.unit_of_work() as session:
        config = configuration.effective(session, settings)
        try:
            to = access.require_user(session, user_id=user_id).email
        except UserNotFound:
            to = None
    try:
        if to is None:
            raise DeliveryRefused(f"user {user_id} no longer exists")
        target = sender.smtp_target(config)
        message_id = sender.send_message(target, message(config, to=to))
        ok, detail = True, f"sent to {to} through {target.host}:{target.port} ({message_id})"
    except (DeliveryRefused, DeliveryPostponed) as exc:
        ok, detail = False, str(exc)
    with database.unit_of_work(write=True) as session:
        configuration.record_test(session, channel=CHANNEL, ok=ok, detail=detail, now=utcnow())
    return ok
