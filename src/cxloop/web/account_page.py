"""Your account (every signed-in user): who you are (name, email, role, teams and their time zones), your password
(the current one required; your other sessions end) and whether you get your teams' weekly digest (as
`PUT /api/v1/me/digest`), and the time zone pages show your times in (web/zones.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.errors import PasswordRefused
from cxloop.access.schemas import UserRead, UserUpdate
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.notifications import digests
from cxloop.storage.deps import SessionDep
from cxloop.web import service as web_sessions
from cxloop.web import zones
from cxloop.web.auth import SESSION_COOKIE, ViewerPage, require_csrf, web_actor
from cxloop.web.forms import Errors, refusal_errors
from cxloop.web.rendering import render, user_zone
from cxloop.web.service import SignedIn

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
CSRF = [Depends(require_csrf)]
DONE = {
    "password": "Your password was changed; your other sessions were signed out.",
    "digest-on": "You will get your teams' weekly digest, on Monday mornings.",
    "digest-off": "You will no longer get the weekly digest.",
    "timezone": "Times are now shown in your time zone.",
}


def _account(
    request: Request,
    session: Session,
    user: SignedIn,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    zone_value: str | None = None,
) -> Response:
    teams = [
        access.require_team(session, team_id=team_id) for team_id in access.user_team_ids(session, user_id=user.user_id)
    ]
    return render(
        request,
        "account.html",
        user=user,
        title="Your account",
        status_code=status_code,
        teams=[(team.name, team.timezone, team.lead_user_id == user.user_id) for team in teams],
        digest=digests.preference(session, user_id=user.user_id),
        errors=errors or {},
        zone_value=zone_value if zone_value is not None else (user.timezone or ""),
        organisation_zone=zones.organisation_zone(request.app.state.settings),
        shown_zone=user_zone(request, user),
        range_zone=zones.range_zone(user_zone(request, user), request.app.state.settings),
        done=DONE.get(request.query_params.get("done", "")) if status_code == 200 else None,
    )


@router.get("/account")
def account_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    return _account(request, session, user)


@router.post("/account/password", dependencies=CSRF, **body_cap("POST /account/password"))
def change_password(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    confirm_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A new password (the current one first); every other session of the user ends."""
    if new_password != confirm_password:
        return _account(
            request, session, user, status_code=422, errors={"confirm_password": "does not match the new password"}
        )
    try:
        access.change_own_password(
            session, user_id=user.user_id, current_password=current_password, new_password=new_password
        )
    except PasswordRefused as exc:
        return _account(request, session, user, status_code=422, errors=refusal_errors(exc, field="new_password"))
    web_sessions.end_other_sessions(session, user_id=user.user_id, token=request.cookies.get(SESSION_COOKIE, ""))
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.user_updated,
        target_id=user.user_id,
        changes={"password": "changed by its user"},
    )
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/digest", dependencies=CSRF, **body_cap("POST /account/digest"))
def change_digest(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    weekly_digest: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Opt in or out of your teams' weekly digest."""
    if weekly_digest not in ("yes", "no"):
        errors = {"weekly_digest": "choose whether you want the weekly digest"}
        return _account(request, session, user, status_code=422, errors=errors)
    on = weekly_digest == "yes"
    digests.choose(session, user_id=user.user_id, weekly_digest=on, actor=web_actor(request, user), now=utcnow())
    return RedirectResponse(f"/account?done=digest-{'on' if on else 'off'}", status_code=303)


@router.post("/account/timezone", dependencies=CSRF, **body_cap("POST /account/timezone"))
def change_timezone(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    timezone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Your own time zone (an IANA name), or empty for the organisation's; audited as `user.updated`."""
    try:
        data = UserUpdate(timezone=timezone)
    except ValidationError:
        error = f"'{timezone.strip()[:64]}' is not an IANA time zone name, for example Europe/Paris"
        return _account(request, session, user, status_code=422, errors={"timezone": error}, zone_value=timezone)
    before = UserRead.model_validate(access.require_user(session, user_id=user.user_id))
    after = UserRead.model_validate(access.update_user(session, user_id=user.user_id, data=data))
    if after.timezone != before.timezone:
        audit.record(
            session,
            actor=web_actor(request, user),
            action=AuditAction.user_updated,
            target_id=user.user_id,
            before={"timezone": before.timezone},
            after={"timezone": after.timezone},
        )
    return RedirectResponse("/account?done=timezone", status_code=303)
