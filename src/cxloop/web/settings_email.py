"""Settings · Channels, email (admins): the SMTP server and the sender address stored in the database over the
environment's (channels/configuration), and a test email sent by the worker through the outbox ("use the
environment's settings again": settings_channel_fields.py).

The password is write-only: the form never shows it, an empty password keeps the one in use for the same login, and
the audit entry says only whether it was kept, replaced or removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.channels.configuration import service as configuration
from cxloop.channels.email import smtp
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AdminPage, web_actor
from cxloop.web.forms import Errors
from cxloop.web.settings_channels import channels_page, smtp_server
from cxloop.web.settings_page import CSRF, back_to

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
PATH = "/settings/channels"
SECURITY = ("none", "starttls", "ssl")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class EmailForm:
    host: str
    port: str
    security: str
    username: str
    password: str
    email_from: str

    def shown(self) -> dict[str, str]:
        """The fields as the form shows them again (never the password)."""
        return {
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_security": self.security,
            "smtp_username": self.username,
            "email_from": self.email_from,
        }


def email_form(
    smtp_host: Annotated[str, Form(max_length=253)] = "",
    smtp_port: Annotated[str, Form(max_length=10)] = "",
    smtp_security: Annotated[str, Form(max_length=10)] = "starttls",
    smtp_username: Annotated[str, Form(max_length=200)] = "",
    smtp_password: Annotated[str, Form(max_length=500)] = "",
    email_from: Annotated[str, Form(max_length=320)] = "",
) -> EmailForm:
    return EmailForm(
        smtp_host.strip(), smtp_port.strip(), smtp_security, smtp_username.strip(), smtp_password, email_from.strip()
    )


def _errors(form: EmailForm, kept_password: str | None) -> Errors:
    errors: Errors = {}
    if not _HOST.match(form.host):
        errors["smtp_host"] = "give the SMTP server's host name, e.g. smtp.example.com"
    if not (form.port.isdigit() and 0 < int(form.port) < 65536):
        errors["smtp_port"] = "give a port between 1 and 65535 (usually 587 with STARTTLS, 465 with TLS, 25 plain)"
    if form.security not in SECURITY:
        errors["smtp_security"] = "choose none, STARTTLS or TLS"
    if form.username and not (form.password or kept_password):
        errors["smtp_password"] = "give the password of this login"  # noqa: S105 - a message, not a password
    if form.password and not form.username:
        errors["smtp_username"] = "give the login the password belongs to"
    name, address = parseaddr(form.email_from)
    if "@" not in address or any(c in form.email_from for c in "\r\n"):
        errors["email_from"] = "give the sender as an address, e.g. Acme feedback <feedback@acme.example>"
    return errors


def compose_url(form: EmailForm, password: str | None) -> str:
    """The SMTP URL the email channel reads (channels/email/smtp.py), login and password percent-encoded."""
    scheme = "smtps" if form.security == "ssl" else "smtp"
    login = f"{quote(form.username, safe='')}:{quote(password or '', safe='')}@" if form.username else ""
    query = "?starttls=1" if form.security == "starttls" else ""
    return f"{scheme}://{login}{form.host}:{form.port}{query}"


def _current_login(settings: Settings) -> tuple[str | None, str | None]:
    """The login and password of the SMTP server in use (None, None without one)."""
    try:
        target = smtp.parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
    except ValueError:
        return None, None
    return (target.username, target.password) if target else (None, None)


@router.post(f"{PATH}/email", dependencies=CSRF, **body_cap(f"POST {PATH}/email"))
def save_email(
    request: Request, session: SessionDep, user: AdminPage, form: Annotated[EmailForm, Depends(email_form)]
) -> Response:
    """Store the SMTP server and sender over the environment's; the senders use them from their next message."""
    settings: Settings = request.app.state.settings
    before = configuration.effective(session, settings)
    login, password = _current_login(before)
    kept = password if form.username and form.username == login else None
    errors = _errors(form, kept)
    url = compose_url(form, form.password or kept)
    if not errors:
        try:
            smtp.parse_smtp_url(url)
        except ValueError as exc:
            errors["smtp_host"] = str(exc)
    if errors:
        return channels_page(
            request, session, user, status_code=422, form_id="email", errors=errors, values=form.shown()
        )
    configuration.save(
        session, settings=settings, values={"smtp_url": url, "email_from": form.email_from}, now=utcnow()
    )
    login_change = "none" if not form.username else "password replaced" if form.password else "password kept"
    if password and not form.username:
        login_change = "login removed"
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.channel_settings_changed,
        target_id="email",
        changes={
            "smtp_server": [smtp_server(before.smtp_url).shown, smtp_server(url).shown],
            "smtp_username": [login, form.username or None],
            "smtp_login": login_change,
            "email_from": [before.email_from, form.email_from],
        },
    )
    return back_to(PATH, "email-saved")


@router.post(f"{PATH}/email/test", dependencies=CSRF, **body_cap(f"POST {PATH}/email/test"))
def test_email(request: Request, session: SessionDep, user: AdminPage) -> Response:
    """Ask the worker to send a test email to the signed-in admin through the effective SMTP settings."""
    settings: Settings = request.app.state.settings
    if not configuration.effective(session, settings).smtp_url:
        errors = {"test": "Set up the SMTP server first: there is nothing to test yet."}
        return channels_page(request, session, user, status_code=409, form_id="email", errors=errors)
    configuration.request_test_email(session, user_id=user.user_id, now=utcnow())
    return back_to(PATH, "email-test")
