"""Settings · Channels (admins): for each channel of the channel registry (governance/channels.py), whether it is
configured and by which environment variables, plus the helpdesk webhooks and the widget sites stored in the
database. A channel's settings stored in the app (channels/configuration) are shown over the environment's and
marked so; the email form is in settings_email.py, the widget sites' forms in settings_widget_sites.py and their
prompt rules' in settings_widget_rules.py.

A secret is never shown: only "set" or "not set" (an account id, at most its last four characters), and an SMTP
URL only as its scheme, host and port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import SecretStr
from sqlalchemy.orm import Session

from cxloop.branding.current import load_brand
from cxloop.channels.configuration import service as configuration
from cxloop.channels.configuration.fields import FIELDS, of_channel
from cxloop.channels.configuration.service import Stored
from cxloop.channels.email import smtp
from cxloop.channels.widget import service as widget
from cxloop.core.config import Settings
from cxloop.governance.channels import registry
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AdminPage
from cxloop.web.service import SignedIn
from cxloop.web.settings_page import settings_page
from cxloop.web.widget_rule_form import row_count, rule_rows

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])


@dataclass(frozen=True)
class Variable:
    """One environment variable and what the page may say about its value."""

    name: str  # CXLOOP_SMTP_URL
    shown: str  # "set", "not set", or a value that is not a secret
    is_set: bool


@dataclass(frozen=True)
class ChannelState:
    """A channel (or inbound webhook) and whether it can be used now."""

    name: str
    configured: bool
    says: str  # what it needs, or what it does once configured
    variables: tuple[Variable, ...]


def secret(name: str, value: SecretStr | str | None) -> Variable:
    """A secret: set or not, nothing more."""
    return Variable(name, "set" if value else "not set", bool(value))


def account_id(name: str, value: str | None) -> Variable:
    """An account identifier: set or not, with at most its last four characters."""
    if not value:
        return Variable(name, "not set", False)
    return Variable(name, f"set, ends …{value[-4:]}" if len(value) > 8 else "set", True)


def plain(name: str, value: str | None, default: str = "not set") -> Variable:
    """A value that is no secret (a sender address, a public URL)."""
    return Variable(name, value or default, bool(value))


def smtp_server(url: str | None) -> Variable:
    """The SMTP URL as scheme://host:port (its user and password are never shown)."""
    if not url:
        return Variable("CXLOOP_SMTP_URL", "not set", False)
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    login = ", with a login" if parts.username else ""
    return Variable("CXLOOP_SMTP_URL", f"{parts.scheme}://{parts.hostname}{port}{login}", True)


def _email(settings: Settings, _sites: int) -> ChannelState:
    return ChannelState(
        "Email",
        bool(settings.smtp_url),
        "Invitations, follow-ups, digests and SLA emails go out through this SMTP server."
        if settings.smtp_url
        else "Email invitations fail until CXLOOP_SMTP_URL names an SMTP server.",
        (
            smtp_server(settings.smtp_url),
            plain("CXLOOP_EMAIL_FROM", settings.email_from),
            plain("CXLOOP_FOLLOW_UP_REPLY_DOMAIN", settings.follow_up_reply_domain),
        ),
    )


def _sms(settings: Settings, _sites: int) -> ChannelState:
    ready = bool(settings.sms_account_sid and settings.sms_auth_token and settings.sms_from)
    return ChannelState(
        "SMS",
        ready,
        "Invitations go out through the Twilio-compatible provider; customers must have opted in to SMS."
        if ready
        else "SMS invitations fail until the account id, its auth token and the sender number are all set.",
        (
            account_id("CXLOOP_SMS_ACCOUNT_SID", settings.sms_account_sid),
            secret("CXLOOP_SMS_AUTH_TOKEN", settings.sms_auth_token),
            plain("CXLOOP_SMS_FROM", settings.sms_from),
            plain("CXLOOP_SMS_BASE_URL", settings.sms_base_url),
            plain(
                "CXLOOP_DEFAULT_PHONE_REGION", settings.default_phone_region, "none: numbers need their country code"
            ),
        ),
    )


def _link(settings: Settings, _sites: int) -> ChannelState:
    return ChannelState(
        "Hosted link",
        True,
        "Survey links and kiosk pages are served by this server; links in emails and SMS point at the public URL.",
        (plain("CXLOOP_PUBLIC_URL", settings.public_url),),
    )


def _widget(_settings: Settings, sites: int) -> ChannelState:
    return ChannelState(
        "Widget",
        sites > 0,
        f"{sites} site{'s' if sites != 1 else ''} embed the widget (below)."
        if sites
        else "No site embeds the widget yet: add one below (or with the API, docs/channels-widget.md).",
        (),
    )


# The state of each channel of the registry; tests/web/test_settings_pages.py checks that none is missing.
CHANNEL_STATES: dict[str, Callable[[Settings, int], ChannelState]] = {
    "email": _email,
    "sms": _sms,
    "link": _link,
    "widget": _widget,
}


def channel_states(settings: Settings, *, widget_sites: int) -> list[ChannelState]:
    """Each channel of the registry, in its order, then the inbound helpdesk webhooks."""
    states = [CHANNEL_STATES[spec.channel.value](settings, widget_sites) for spec in registry]
    helpdesk = (
        secret("CXLOOP_ZENDESK_WEBHOOK_SECRET", settings.zendesk_webhook_secret),
        secret("CXLOOP_INTERCOM_CLIENT_SECRET", settings.intercom_client_secret),
        secret("CXLOOP_HELPDESK_WEBHOOK_SECRET", settings.helpdesk_webhook_secret),
    )
    configured = [v for v in helpdesk if v.is_set]
    states.append(
        ChannelState(
            "Helpdesk webhooks",
            bool(configured),
            "Tickets and CSAT arrive from each helpdesk whose secret is set; the others refuse every request."
            if configured
            else "Every helpdesk webhook refuses requests until its secret is set.",
            helpdesk,
        )
    )
    states.append(_bounces(settings))
    return states


def _bounces(settings: Settings) -> ChannelState:
    """The bounce and complaint webhooks: the generic one and each provider's (channels/email/provider_routes.py)."""
    enabled = settings.email_bounce_providers
    generic = settings.email_webhook_secret is not None
    says = (
        f"Bounces and complaints arrive from {', '.join([*enabled, *(['the generic webhook'] if generic else [])])}: "
        "a hard bounce or a complaint opts the address out of email."
        if enabled or generic
        else "No bounce webhook is set up: bounced addresses are tried again until someone notices."
    )
    return ChannelState(
        "Email bounce webhooks",
        bool(enabled) or generic,
        says,
        (
            plain("CXLOOP_EMAIL_BOUNCE_PROVIDERS", ", ".join(enabled), "none"),
            secret("CXLOOP_EMAIL_WEBHOOK_SECRET", settings.email_webhook_secret),
            plain("CXLOOP_SES_TOPIC_ARNS", ", ".join(settings.ses_topic_arns), "none"),
            plain("CXLOOP_POSTMARK_WEBHOOK_USER", settings.postmark_webhook_user),
            secret("CXLOOP_POSTMARK_WEBHOOK_PASSWORD", settings.postmark_webhook_password),
            plain("CXLOOP_SENDGRID_WEBHOOK_PUBLIC_KEY", settings.sendgrid_webhook_public_key),
            secret("CXLOOP_MAILGUN_WEBHOOK_SIGNING_KEY", settings.mailgun_webhook_signing_key),
        ),
    )


def _email_values(settings: Settings) -> dict[str, str]:
    """The email form as the settings in use fill it (never the password)."""
    values = {"smtp_host": "", "smtp_port": "587", "smtp_security": "starttls", "smtp_username": ""}
    try:
        target = smtp.parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
    except ValueError:
        target = None
    if target is not None:
        security = "ssl" if target.ssl else "starttls" if target.starttls else "none"
        values = {
            "smtp_host": target.host,
            "smtp_port": str(target.port),
            "smtp_security": security,
            "smtp_username": target.username or "",
        }
    return {**values, "email_from": settings.email_from}


def _marked(states: list[ChannelState], stored: Mapping[str, Stored]) -> list[ChannelState]:
    """The variables an admin stored in the app, said so (or that they need setting again after a key change)."""

    def mark(variable: Variable) -> Variable:
        found = stored.get(variable.name.removeprefix("CXLOOP_").lower())
        if found is None:
            return variable
        if not found.readable:
            return replace(
                variable, shown=f"{variable.shown} (the app's value needs setting again: the secret key changed)"
            )
        return replace(variable, shown=f"{variable.shown} (set in the app, over the environment)")

    return [replace(state, variables=tuple(mark(v) for v in state.variables)) for state in states]


@dataclass(frozen=True)
class FieldView:
    """A field of a channel's settings form: a secret says only where it is set, a plain value is shown."""

    name: str
    label: str
    secret: bool
    state: str
    value: str
    hint: str


def _field_forms(settings: Settings, effective: Settings, stored: Mapping[str, Stored]) -> dict[str, list[FieldView]]:
    forms: dict[str, list[FieldView]] = {}
    for channel in ("sms", "helpdesk", "bounces"):
        views = []
        for field in of_channel(channel):
            value = getattr(effective, field.name)
            found = stored.get(field.name)
            where = "in the environment" if getattr(settings, field.name) else ""
            if found is not None:
                where = "here" if found.readable else ""
            text = value.get_secret_value() if isinstance(value, SecretStr) else value or ""
            text = ", ".join(text) if isinstance(text, list) else text
            if not field.secret:
                state = f"set {where}" if where else "not set"
            elif not where:
                state = (
                    "not set" if found is None or found.readable else "not set: the secret key changed, set it again"
                )
            else:
                ends = f", ends …{text[-4:]}" if field.name == "sms_account_sid" and len(text) > 8 else ""
                state = f"set {where}{ends}"
            hint = f"{state}; empty keeps it" if field.secret else field.wants
            views.append(FieldView(field.name, field.label, field.secret, state, "" if field.secret else text, hint))
        forms[channel] = views
    return forms


def channels_page(
    request: Request, session: Session, user: SignedIn, *, status_code: int = 200, **form: Any
) -> Response:
    """The channels tab; `form` may name the form that answers (`form_id`: "email", "new", a widget site's id or
    "rules-<id>")
    with its `values` and `errors`, and a `page_error` shown above the sites."""
    settings: Settings = request.app.state.settings
    effective = configuration.effective(session, settings)
    stored = configuration.stored(session, settings)
    found, _total = widget.list_sites(session)
    sites = widget.site_reads(session, found, public_url=settings.public_url)
    context = {"form_id": "", "errors": {}, "values": {}, "page_error": None, **form}
    mine = context["form_id"] == "email" and bool(context["values"])
    return settings_page(
        request,
        user,
        "settings_channels.html",
        title="Channels",
        status_code=status_code,
        channels=_marked(channel_states(effective, widget_sites=len(sites)), stored),
        email_values=context["values"] if mine else _email_values(effective),
        email_test=configuration.last_test(session, channel="email"),
        field_forms=_field_forms(settings, effective, stored),
        stored_channels={FIELDS[name].channel for name in stored},
        sites=sites,
        rule_rows=rule_rows,
        row_count=row_count,
        **context,
    )


@router.get("/settings/channels")
def channels_tab(request: Request, session: SessionDep, user: AdminPage) -> Response:
    return channels_page(request, session, user)
