"""Settings · Channels, the widget sites (admins): create a site, change its name, channel, allowed origins,
feedback survey and anonymous visitors' cap and sampling, disable or enable it, delete it; through the widget's
service and the API's schemas (SiteCreate, SiteUpdate), audited as the API does (`widget_site.created`, `.updated`,
`.deleted`) and forgotten by this process's site cache at once (other server processes see the change within 5 s).

Origins are typed one a line (or separated by spaces or commas); the sampling share in per cent. A site's prompt
rules have their own form (settings_widget_rules.py); this one keeps them as they are.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.channels.widget import service as widget
from cxloop.channels.widget.errors import SiteNotFound
from cxloop.channels.widget.inbound import site_cache
from cxloop.channels.widget.schemas import SiteCreate, SiteRead, SiteUpdate
from cxloop.core.body_caps import body_cap
from cxloop.core.config import Settings
from cxloop.core.errors import CxloopError
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AdminPage, web_actor
from cxloop.web.forms import FormRefused, form_refusal
from cxloop.web.service import SignedIn
from cxloop.web.settings_channels import channels_page
from cxloop.web.settings_page import CSRF, back_to

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
PATH = "/settings/channels"
_SPLIT = re.compile(r"[\s,]+")
ORIGIN_PATTERN = {"allowed_origins": "give origins like https://www.example.com (scheme and host, no path), or *"}
SiteForm = dict[str, str]


def site_form(
    name: Annotated[str, Form(max_length=200)] = "",
    channel: Annotated[str, Form(max_length=16)] = "web",
    allowed_origins: Annotated[str, Form(max_length=16_000)] = "",
    feedback_survey: Annotated[str, Form(max_length=64)] = "",
    anonymous_cap_days: Annotated[str, Form(max_length=10)] = "30",
    anonymous_sampling_percent: Annotated[str, Form(max_length=10)] = "100",
) -> SiteForm:
    """The posted site form, as typed."""
    return {
        "name": name,
        "channel": channel,
        "allowed_origins": allowed_origins,
        "feedback_survey": feedback_survey,
        "anonymous_cap_days": anonymous_cap_days,
        "anonymous_sampling_percent": anonymous_sampling_percent,
    }


SiteFormDep = Annotated[SiteForm, Depends(site_form)]


def _fields(form: SiteForm) -> dict[str, Any]:
    """The form as SiteCreate/SiteUpdate take it; FormRefused for a number that is not one."""
    cap = form["anonymous_cap_days"].strip()
    if not cap.isdigit():
        raise FormRefused("anonymous_cap_days", "give a whole number of days (0: prompt anonymous visitors every time)")
    try:
        percent = float(form["anonymous_sampling_percent"].strip().removesuffix("%"))
    except ValueError:
        raise FormRefused("anonymous_sampling_percent", "give a share in per cent, e.g. 25") from None
    if not 0 < percent <= 100:
        raise FormRefused("anonymous_sampling_percent", "give a share above 0 and at most 100 %")
    return {
        "name": form["name"].strip(),
        "channel": form["channel"],
        "allowed_origins": [origin for origin in _SPLIT.split(form["allowed_origins"].strip()) if origin],
        "feedback_survey": form["feedback_survey"].strip() or None,
        "anonymous_cap_days": int(cap),
        "anonymous_sampling_rate": percent / 100,
    }


def _refused(
    request: Request, session: Session, user: SignedIn, exc: Exception, form_id: str, values: SiteForm | None
) -> Response:
    session.rollback()
    errors, status = form_refusal(exc, field="name", patterns=ORIGIN_PATTERN)
    errors = {"anonymous_sampling_percent" if k == "anonymous_sampling_rate" else k: v for k, v in errors.items()}
    said = f"{exc}. Nothing was changed." if isinstance(exc, SiteNotFound) else None
    if values is None:  # a button, not the site's form: the reason goes above the sites
        form_id, said = "", said or f"{'; '.join(errors.values())}. Nothing was changed."
    return channels_page(
        request, session, user, status_code=status, form_id=form_id, errors=errors, values=values, page_error=said
    )


def record_site_update(request: Request, session: Session, user: SignedIn, before: SiteRead) -> None:
    """Forget the site in this process's cache and audit the change as the API does."""
    site_cache(request).forget(before.key)
    after = widget.audited(read_site(request, session, before.id))
    action = AuditAction.widget_site_updated
    actor = web_actor(request, user)
    audit.record(session, actor=actor, action=action, target_id=before.id, before=widget.audited(before), after=after)


def read_site(request: Request, session: Session, site_id: int) -> SiteRead:
    settings: Settings = request.app.state.settings
    site = widget.require_site(session, site_id=site_id)
    return widget.site_reads(session, [site], public_url=settings.public_url)[0]


@router.post(f"{PATH}/widget-sites", dependencies=CSRF, **body_cap(f"POST {PATH}/widget-sites"))
def create_site(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    values: SiteFormDep,
) -> Response:
    """A new site with a fresh public key; its embed tag is shown on the tab."""
    try:
        site = widget.create_site(session, data=SiteCreate(**_fields(values)))
    except (FormRefused, ValidationError, CxloopError) as exc:
        return _refused(request, session, user, exc, "new", values)
    site_cache(request).forget(site.key)  # an earlier lookup of this key may be cached as unknown
    made = read_site(request, session, site.id)
    action = AuditAction.widget_site_created
    audit.record(session, actor=web_actor(request, user), action=action, target_id=site.id, after=widget.audited(made))
    return back_to(PATH, "site-created")


@router.post(
    f"{PATH}/widget-sites/{{site_id:int}}", dependencies=CSRF, **body_cap(f"POST {PATH}/widget-sites/{{site_id:int}}")
)
def update_site(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    site_id: Id,
    values: SiteFormDep,
) -> Response:
    """Every field of the form is sent: an empty feedback survey means none. The prompt rules stay as they are."""
    try:
        before = read_site(request, session, site_id)
        widget.update_site(session, site_id=site_id, data=SiteUpdate(**_fields(values)))
    except (FormRefused, ValidationError, CxloopError) as exc:
        return _refused(request, session, user, exc, str(site_id), values)
    record_site_update(request, session, user, before)
    return back_to(PATH, "site-saved")


@router.post(
    f"{PATH}/widget-sites/{{site_id:int}}/enabled",
    dependencies=CSRF,
    **body_cap(f"POST {PATH}/widget-sites/{{site_id:int}}/enabled"),
)
def enable_site(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    site_id: Id,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Disable a site (its script shows nothing, as for an unknown key) or enable it again; nothing else changes."""
    try:
        if enabled not in ("yes", "no"):
            raise FormRefused("enabled", "say yes (enable) or no (disable)")
        before = read_site(request, session, site_id)
        site = widget.update_site(session, site_id=site_id, data=SiteUpdate(enabled=enabled == "yes"))
    except (FormRefused, CxloopError) as exc:
        return _refused(request, session, user, exc, str(site_id), None)
    record_site_update(request, session, user, before)
    return back_to(PATH, "site-enabled" if site.enabled else "site-disabled")


@router.post(
    f"{PATH}/widget-sites/{{site_id:int}}/delete",
    dependencies=CSRF,
    **body_cap(f"POST {PATH}/widget-sites/{{site_id:int}}/delete"),
)
def delete_site(request: Request, session: SessionDep, user: AdminPage, site_id: Id) -> Response:
    """Delete the site and its rules: its script tag stops working (404); the responses it collected stay."""
    try:
        before = read_site(request, session, site_id)
        widget.delete_site(session, site_id=site_id)
    except CxloopError as exc:
        return _refused(request, session, user, exc, str(site_id), None)
    site_cache(request).forget(before.key)
    action = AuditAction.widget_site_deleted
    audit.record(
        session, actor=web_actor(request, user), action=action, target_id=site_id, before=widget.audited(before)
    )
    return back_to(PATH, "site-deleted")
