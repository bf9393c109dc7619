"""Settings · Channels, the SMS provider, the helpdesk webhooks' secrets and the email bounce webhooks (admins: the
providers enabled and their secrets): each field of the channel registry (channels/configuration/fields.py) stored
over the environment's, secrets write-only (an empty field keeps
the value in use), and "use the environment's settings again" for any channel (email included). Audited as
`channel_settings.changed` with the plain values before and after and, for a secret, only that it was set.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.channels.configuration import service as configuration
from cxloop.channels.configuration.fields import CHANNELS, of_channel
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AdminPage, web_actor
from cxloop.web.forms import Errors, text_form
from cxloop.web.service import SignedIn
from cxloop.web.settings_channels import channels_page
from cxloop.web.settings_page import CSRF, back_to

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
PATH = "/settings/channels"
FORM_CHANNELS = ("sms", "helpdesk", "bounces")  # email has its own form (settings_email.py)


def _written(name: str) -> str:
    """How the audit log names a secret that was written (a name holding `secret` or `token` is redacted whole)."""
    return name.replace("_secret", "").replace("_token", "") + "_written"


def _text(value: object) -> str | None:
    """A plain setting as its form shows it (a list: its items separated by commas)."""
    return ", ".join(value) if isinstance(value, list) else None if value is None else str(value)


def _save(request: Request, session: Session, user: SignedIn, channel: str, posted: dict[str, str]) -> Response:
    settings: Settings = request.app.state.settings
    before = configuration.effective(session, settings)
    fields = of_channel(channel)
    values: dict[str, str] = {}
    errors: Errors = {}
    for field in fields:
        value = posted.get(field.name, "").strip()
        if not value and field.secret:
            continue  # write-only: empty keeps the value in use
        refusal = field.refusal(value)
        if refusal:
            errors[field.name] = refusal
        values[field.name] = value
    if errors:
        shown = {f.name: values.get(f.name, "") for f in fields if not f.secret}
        return channels_page(request, session, user, status_code=422, form_id=channel, errors=errors, values=shown)
    configuration.save(session, settings=settings, values=values, now=utcnow())
    changes: dict[str, object] = {}
    for field in fields:
        old = getattr(before, field.name)
        if field.name in values and field.secret:
            changes[_written(field.name)] = "replaced" if old else "set"
        elif field.name in values and _text(old) != values[field.name]:
            changes[field.name] = [_text(old), values[field.name]]
    action = AuditAction.channel_settings_changed
    audit.record(session, actor=web_actor(request, user), action=action, target_id=channel, changes=changes)
    return back_to(PATH, f"{channel}-saved")


# The fields of every channel's form, as posted (each route reads its own channel's); a list of topic ARNs or a
# SendGrid key may be longer than a secret.
channel_fields = text_form(
    **{
        field.name: (2000 if channel == "bounces" else 500, "")
        for channel in FORM_CHANNELS
        for field in of_channel(channel)
    }
)
Posted = Annotated[dict[str, str], Depends(channel_fields)]


@router.post(f"{PATH}/sms", dependencies=CSRF, **body_cap(f"POST {PATH}/sms"))
def save_sms(request: Request, session: SessionDep, user: AdminPage, posted: Posted) -> Response:
    """The Twilio-compatible provider's account SID, auth token and sender."""
    return _save(request, session, user, "sms", posted)


@router.post(f"{PATH}/helpdesk", dependencies=CSRF, **body_cap(f"POST {PATH}/helpdesk"))
def save_helpdesk(request: Request, session: SessionDep, user: AdminPage, posted: Posted) -> Response:
    """The helpdesk webhooks' secrets (Zendesk, Intercom, the generic shape)."""
    return _save(request, session, user, "helpdesk", posted)


@router.post(f"{PATH}/bounces", dependencies=CSRF, **body_cap(f"POST {PATH}/bounces"))
def save_bounces(request: Request, session: SessionDep, user: AdminPage, posted: Posted) -> Response:
    """The bounce webhooks enabled (POST /webhooks/email/<provider>), the generic one's shared secret and what each
    provider's requests are checked against."""
    return _save(request, session, user, "bounces", posted)


@router.post(f"{PATH}/{{channel}}/reset", dependencies=CSRF, **body_cap(f"POST {PATH}/{{channel}}/reset"))
def reset_channel(request: Request, session: SessionDep, user: AdminPage, channel: str) -> Response:
    """Forget the channel's stored settings: the environment's apply again."""
    if channel not in CHANNELS:
        error = {"page": f"'{channel[:20]}' is not a channel with settings: {', '.join(sorted(CHANNELS))}"}
        return channels_page(request, session, user, status_code=404, page_error=error["page"])
    gone = configuration.clear(session, channel=channel)
    if gone:
        action = AuditAction.channel_settings_changed
        actor = web_actor(request, user)
        audit.record(session, actor=actor, action=action, target_id=channel, changes={"cleared": gone})
    return back_to(PATH, f"{channel}-reset")
