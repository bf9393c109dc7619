"""The case page (/cases/{id}) and its forms: add a note, assign, send a follow-up. Status changes (acknowledge,
resolve with a root cause, reopen...) post to the inbox's `/cases/{id}/{action}` (routes.py) and come back here.

Everything goes through the cases service with the user's scope, as the API does: an agent outside the case's
teams gets 404, a refused change a page that says why and changes nothing. This router is included before
routes.py's, so `/cases/{id}/notes` and `/cases/{id}/assign` are not read as actions.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.branding.current import load_brand
from cxloop.cases import service as cases
from cxloop.cases.enums import FollowUpChannel
from cxloop.cases.follow_up_schemas import FollowUpAsk
from cxloop.cases.schemas import Actor, CaseAssign, Scope
from cxloop.cases.service import follow_ups
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import Conflict, InvalidInput, NotFound
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.web import case_view
from cxloop.web.auth import AgentPage, require_csrf
from cxloop.web.rendering import render
from cxloop.web.service import SignedIn

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # as FollowUpAsk takes it


def _actor(user: SignedIn) -> Actor:
    return Actor(user.display_name, user.user_id)


def _scope(session: Session, user: SignedIn) -> Scope:
    return cases.scope_of(session, role=user.role, user_id=user.user_id)


def refused(request: Request, user: SignedIn, exc: Exception, *, back: str, back_label: str) -> Response:
    """The page of a change the service refused: the field and the reason, 404/409/422 as the API answers."""
    errors = getattr(exc, "errors", None)
    first = errors[0] if errors else None
    reason = f"{first.field}: {first.message}" if first else str(exc)
    code = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 422
    return render(
        request,
        "message.html",
        user=user,
        status_code=code,
        title="The case was not changed",
        message=f"{reason}. Nothing was changed.",
        back=back,
        back_label=back_label,
    )


def _said_no(request: Request, user: SignedIn, title: str, reason: str, back: str) -> Response:
    """A form the page itself refuses (a missing or impossible field), before the service is asked: 422."""
    return render(
        request,
        "message.html",
        user=user,
        status_code=422,
        title=title,
        message=f"{reason}. Nothing was changed.",
        back=back,
        back_label="Back to the case",
    )


def _not_found(request: Request, user: SignedIn, case_id: int) -> Response:
    return render(
        request,
        "message.html",
        user=user,
        status_code=404,
        title="No such case",
        message=f"There is no case {case_id} in your teams' cases.",
        back="/cases",
        back_label="Back to the inbox",
    )


def _preview(session: Session, user: SignedIn, case_id: int, template: str, channel: str) -> dict[str, Any]:
    """The follow-up preview asked for in the address (`template`, `channel`), or why there is none."""
    if not template:
        return {}
    if channel not in FollowUpChannel.__members__:
        return {"preview_error": f"channel: '{channel[:20]}' is not one of {', '.join(FollowUpChannel)}"}
    if not TEMPLATE_NAME.fullmatch(template):
        return {"preview_error": "template: not a template name"}
    ask = FollowUpAsk(template=template, channel=FollowUpChannel(channel))
    scope = _scope(session, user)
    try:
        shown = follow_ups.preview(session, case_id=case_id, ask=ask, actor=_actor(user), scope=scope, now=utcnow())
    except (InvalidInput, NotFound) as exc:
        errors = getattr(exc, "errors", None)
        return {"preview_error": f"{errors[0].field}: {errors[0].message}" if errors else str(exc)}
    return {"preview": shown}


@router.get("/cases/{case_id:int}")
def case_page(
    request: Request,
    session: SessionDep,
    user: AgentPage,
    case_id: Id,
    template: Annotated[str, Query(max_length=64)] = "",
    channel: Annotated[str, Query(max_length=20)] = "email",
) -> Response:
    """One case: the feedback that opened it, the customer, the SLA clocks, the activity log and the actions."""
    now = utcnow()
    try:
        shown = case_view.case_page(session, case_id=case_id, user=user, now=now)
    except NotFound:
        return _not_found(request, user, case_id)
    case = shown.case
    return render(
        request,
        "case.html",
        user=user,
        title=f"Case #{case.id}: {case.title}" if case.title else f"Case #{case.id}",
        page=shown,
        case=case,
        activity_words=case_view.activity_words,
        chosen_template=template,
        channel=channel,
        channels=list(FollowUpChannel),
        now=now,
        **_preview(session, user, case_id, template, channel),
    )


def _back(case_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}{anchor}", status_code=303)


@router.post(
    "/cases/{case_id:int}/notes", dependencies=[Depends(require_csrf)], **body_cap("POST /cases/{case_id:int}/notes")
)
def add_note(
    request: Request,
    session: SessionDep,
    user: AgentPage,
    case_id: Id,
    text: Annotated[str, Form(max_length=10_000)] = "",
    response: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A note on the case; ticked "reply to the customer", it records a response (stops the first-response clock)."""
    back = f"/cases/{case_id}"
    if not text.strip():
        return _said_no(request, user, "The note was not added", "text: write the note first", back)
    try:
        cases.add_note(
            session,
            case_id=case_id,
            text=text.strip(),
            response=bool(response),
            actor=_actor(user),
            scope=_scope(session, user),
        )
    except NotFound as exc:
        session.rollback()
        return refused(request, user, exc, back="/cases", back_label="Back to the inbox")
    return _back(case_id, "#activity")


@router.post(
    "/cases/{case_id:int}/assign", dependencies=[Depends(require_csrf)], **body_cap("POST /cases/{case_id:int}/assign")
)
def assign(
    request: Request,
    session: SessionDep,
    user: AgentPage,
    case_id: Id,
    owner: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Give the case to `owner`: "me" or a user id of the case's team (the service refuses anyone else)."""
    back = f"/cases/{case_id}"
    owner_id = user.user_id if owner == "me" else int(owner) if owner.isdigit() and len(owner) < 12 else None
    if owner_id is None:
        return _said_no(
            request, user, "The case was not changed", f"owner: '{owner[:20]}' is not a person of the case's team", back
        )
    try:
        cases.assign(
            session,
            case_id=case_id,
            data=CaseAssign(owner_user_id=owner_id),
            actor=_actor(user),
            scope=_scope(session, user),
        )
    except (Conflict, InvalidInput, NotFound) as exc:
        session.rollback()
        return refused(request, user, exc, back=back, back_label="Back to the case")
    return _back(case_id)


@router.post(
    "/cases/{case_id:int}/follow-ups",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /cases/{case_id:int}/follow-ups"),
)
def send_follow_up(
    request: Request,
    session: SessionDep,
    user: AgentPage,
    case_id: Id,
    template: Annotated[str, Form(max_length=64)] = "",
    channel: Annotated[str, Form(max_length=20)] = "email",
) -> Response:
    """Queue the follow-up the preview showed (the worker sends it); refused in words when consent or the contact
    policy says no."""
    back = f"/cases/{case_id}"
    if channel not in FollowUpChannel.__members__ or not TEMPLATE_NAME.fullmatch(template):
        return _said_no(
            request, user, "The follow-up was not sent", "Choose a template and a channel (email or SMS)", back
        )
    ask = FollowUpAsk(template=template, channel=FollowUpChannel(channel))
    try:
        follow_ups.request_follow_up(
            session, case_id=case_id, ask=ask, actor=_actor(user), scope=_scope(session, user), now=utcnow()
        )
    except (Conflict, InvalidInput, NotFound) as exc:
        session.rollback()
        return refused(request, user, exc, back=back, back_label="Back to the case")
    return _back(case_id, "#follow-ups")
