"""Composing an invitation email: the survey's first question as one-click score links, in HTML and plain text,
in the customer's locale (falling back to the survey's default), with RFC 8058 one-click unsubscribe headers.

The Message-ID names the invitation (`<cxloop-invitation-42.9f3a...@example.com>`), so a bounce or complaint that
quotes it leads back to the invitation without a lookup table.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

from cxloop.branding.service import NO_BRAND, Brand
from cxloop.channels import catalogue
from cxloop.channels import messaging_content as content
from cxloop.channels.email.rendering import render

_MESSAGE_ID = re.compile(r"^<?cxloop-invitation-(\d{1,18})\.[0-9a-f]+@[^<>\s]+>?$")


def message_id_for(invitation_id: int, sender: str) -> str:
    """A new, unique Message-ID naming the invitation, in the sender's domain."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<cxloop-invitation-{invitation_id}.{secrets.token_hex(8)}@{domain}>"


def invitation_of(message_id: str) -> int | None:
    """The invitation id named by a Message-ID this server made (angle brackets optional); None otherwise."""
    match = _MESSAGE_ID.match(message_id.strip())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class InvitationMail:
    """Everything the email needs to know, resolved by the caller (channels.delivery)."""

    invitation_id: int
    definition: Mapping[str, Any]
    default_locale: str
    locale: str | None  # the customer's
    to: str
    name: str | None
    sender: str
    survey_url: str
    unsubscribe_url: str
    reminder: bool = False
    brand: Brand = NO_BRAND
    logo_url: str | None = None  # absolute: mail clients load it from this server


def _from(sender: str, name: str | None) -> str:
    """CXLOOP_EMAIL_FROM's address under the brand's sender name (the setting's own name without one)."""
    if not name:
        return sender
    return formataddr((name, parseaddr(sender)[1]))


def add_unsubscribe_headers(message: EmailMessage, unsubscribe_url: str) -> None:
    """RFC 2369 + RFC 8058: mail clients show an "Unsubscribe" button and POST `List-Unsubscribe=One-Click` to the
    URL; /u/{token} opts the customer out of email at once. (The MTA's DKIM signature must cover both headers.)
    Every email to a customer carries them: invitations and case follow-ups."""
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


def compose(mail: InvitationMail, *, now: datetime) -> EmailMessage:
    """The invitation email, ready for SMTP (its Message-ID header is set)."""
    locale = content.survey_locale(mail.definition, mail.locale, mail.default_locale)
    language = content.language_of(locale)
    words = catalogue.words("email", language)
    question = content.first_question(mail.definition, locale, mail.default_locale)
    score_links: list[tuple[int, str]] = []
    low_label = high_label = ""
    if question.low is not None and question.high is not None:
        score_links = [
            (value, content.answer_url(mail.survey_url, question.id, value))
            for value in range(question.low, question.high + 1)
        ]
        low_label, high_label = words[f"{question.kind}_low"], words[f"{question.kind}_high"]
    subject = words["reminder"].format(subject=question.text) if mail.reminder else question.text
    greeting = words["greeting"].format(name=mail.name) if mail.name else words["greeting_anonymous"]
    brand = mail.brand
    organisation = brand.organisation_name
    context = {
        "language": language,
        "subject": subject,
        "greeting": greeting,
        "w": words,
        "question": question,
        "score_links": score_links,
        "low_label": low_label,
        "high_label": high_label,
        "survey_url": mail.survey_url,
        "unsubscribe_url": mail.unsubscribe_url,
        # Who is asking: named in the first line and the footer, and in the From name.
        "intro": words["intro_named"].format(organisation=organisation) if organisation else words["intro"],
        "footer": (
            words["unsubscribe_line_named"].format(organisation=organisation)
            if organisation
            else words["unsubscribe_line"]
        ),
        "organisation": organisation,
        "logo_url": mail.logo_url,
        "colour": brand.colour,
        "on_colour": brand.text_on_colour,
    }
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = _from(mail.sender, brand.from_name)
    message["To"] = formataddr((mail.name or "", mail.to))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id_for(mail.invitation_id, mail.sender)
    add_unsubscribe_headers(message, mail.unsubscribe_url)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render("invitation.txt", **context))
    message.add_alternative(render("invitation.html", **context), subtype="html")
    return message
