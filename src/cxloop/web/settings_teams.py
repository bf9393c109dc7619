"""Settings · Teams (admins): create a team, edit its name, lead, time zone, working hours, holidays and how new
cases are assigned inside it (`assignment`: members in turn or the fewest open cases), add and remove members;
through access' team service and the API's schemas (TeamCreate, TeamUpdate), audited as the API does
(`team.created`, `team.updated`).

Working hours are typed one day a line (`mon 09:00-12:30 13:30-18:00`; nothing for around the clock), holidays as
dates (`2026-12-25`) separated by spaces, commas or lines.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.changes import record_team_change
from cxloop.access.enums import Assignment
from cxloop.access.errors import TeamNotFound
from cxloop.access.schemas import TeamCreate, TeamRead, TeamUpdate
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.errors import CxloopError
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AdminPage, web_actor
from cxloop.web.forms import Errors, FormRefused, Typed, form_refusal, text_form
from cxloop.web.service import SignedIn
from cxloop.web.settings_page import CSRF, back_to, settings_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
TEAM_FIELDS = ("key", "name", "lead_user_id", "timezone", "business_hours", "holidays", "assignment")
ASSIGNMENT_OPTIONS = [
    (Assignment.round_robin.value, "each member in turn"),
    (Assignment.fewest_open.value, "the member with the fewest open cases"),
]
_SPLIT = re.compile(r"[\s,;]+")
KEY_PATTERN = {"key": "use lower-case letters, digits, '-' and '_', starting with a letter or digit (e.g. support)"}


def hours_text(hours: dict[str, list[str]] | None) -> str:
    """{"mon": ["09:00-18:00"]} as the form shows it: one day a line."""
    return "\n".join(f"{day} {' '.join(intervals)}" for day, intervals in (hours or {}).items())


def parse_hours_text(text: str) -> dict[str, list[str]] | None:
    """The form's working hours as the API takes them (None: around the clock); the schema checks each interval."""
    hours: dict[str, list[str]] = {}
    for number, line in enumerate(text.strip().splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        if len(words) < 2:
            raise FormRefused("business_hours", f"line {number}: give the day and its hours, e.g. 'mon 09:00-18:00'")
        day = words[0].lower()
        if day in hours:
            raise FormRefused("business_hours", f"line {number}: '{day}' is given twice; put its hours on one line")
        hours[day] = words[1:]
    return hours or None


def _team_fields(form: Typed) -> dict[str, Any]:
    """The form's fields as the API's TeamCreate/TeamUpdate take them (the schema checks the assignment)."""
    lead = form["lead_user_id"]
    if lead and not lead.isdigit():
        raise FormRefused("lead_user_id", "choose a person from the list")
    return {
        "name": form["name"].strip(),
        "lead_user_id": int(lead) if lead else None,
        "timezone": form["timezone"].strip() or "UTC",
        "business_hours": parse_hours_text(form["business_hours"]),
        "holidays": [day for day in _SPLIT.split(form["holidays"].strip()) if day],
        "assignment": form["assignment"],
    }


def _teams_page(
    request: Request,
    session: Session,
    user: SignedIn,
    *,
    status_code: int = 200,
    form_id: str = "",
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    page_error: str | None = None,
) -> Response:
    """The teams and their forms; the form `form_id` ("new", a team's id, "members-<id>") shows `values` and
    `errors`; `page_error` goes above them all (a team that is gone)."""
    teams = access.team_reads(session, access.list_teams(session))
    people = access.list_users(session)
    return settings_page(
        request,
        user,
        "settings_teams.html",
        title="Teams",
        status_code=status_code,
        teams=teams,
        names={u.id: u.name or u.email for u in people},
        people=[(str(u.id), f"{u.name or u.email} ({u.role})") for u in people if u.is_active],
        form_id=form_id,
        errors=errors or {},
        values=values or {},
        page_error=page_error,
        hours_text=hours_text,
        assignment_options=ASSIGNMENT_OPTIONS,
    )


@router.get("/settings/teams")
def teams_tab(request: Request, session: SessionDep, user: AdminPage) -> Response:
    return _teams_page(request, session, user)


# The posted team form, as typed (every field is sent: an empty lead means none, empty hours around the clock; the
# key is read on creation only).
TeamFormDep = Annotated[
    Typed,
    Depends(
        text_form(
            key=(64, ""),
            name=(200, ""),
            lead_user_id=(20, ""),
            timezone=(64, "UTC"),
            business_hours=(2000, ""),
            holidays=(20_000, ""),
            assignment=(20, Assignment.round_robin.value),
        )
    ),
]


@router.post("/settings/teams", dependencies=CSRF, **body_cap("POST /settings/teams"))
def create_team(request: Request, session: SessionDep, user: AdminPage, values: TeamFormDep) -> Response:
    try:
        made = access.create_team(session, data=TeamCreate(key=values["key"].strip(), **_team_fields(values)))
    except (FormRefused, ValidationError, CxloopError) as exc:
        session.rollback()
        return _refused(request, session, user, exc, "new", values)
    read = access.team_reads(session, [made])[0]
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.team_created,
        target_id=read.id,
        after=read.model_dump(),
    )
    return back_to("/settings/teams", "team-created")


def _refused(
    request: Request, session: Session, user: SignedIn, exc: Exception, form_id: str, values: Typed | None
) -> Response:
    errors, status = form_refusal(exc, field="name", patterns=KEY_PATTERN)
    gone = f"{exc}. Nothing was changed." if isinstance(exc, TeamNotFound) else None
    return _teams_page(
        request, session, user, status_code=status, form_id=form_id, errors=errors, values=values, page_error=gone
    )


def _team(session: Session, team_id: int) -> TeamRead:
    return access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]


@router.post("/settings/teams/{team_id:int}", dependencies=CSRF, **body_cap("POST /settings/teams/{team_id:int}"))
def update_team(request: Request, session: SessionDep, user: AdminPage, team_id: Id, values: TeamFormDep) -> Response:
    """Every field of the form is sent: an empty lead means none, empty hours around the clock."""
    try:
        before = _team(session, team_id)
        access.update_team(session, team_id=team_id, data=TeamUpdate(**_team_fields(values)))
    except (FormRefused, ValidationError, CxloopError) as exc:
        session.rollback()
        return _refused(request, session, user, exc, str(team_id), values)
    record_team_change(session, actor=web_actor(request, user), before=before, after=_team(session, team_id))
    return back_to("/settings/teams", "team-saved")


@router.post(
    "/settings/teams/{team_id:int}/members", dependencies=CSRF, **body_cap("POST /settings/teams/{team_id:int}/members")
)
def add_member(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    team_id: Id,
    user_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        if not user_id.isdigit():
            raise FormRefused("user_id", "choose a person from the list")
        before = _team(session, team_id)
        access.add_team_member(session, team_id=team_id, user_id=int(user_id))
    except (FormRefused, CxloopError) as exc:
        session.rollback()
        return _refused(request, session, user, exc, f"members-{team_id}", None)
    record_team_change(session, actor=web_actor(request, user), before=before, after=_team(session, team_id))
    return back_to("/settings/teams", "member-added")


@router.post(
    "/settings/teams/{team_id:int}/members/{user_id:int}/remove",
    dependencies=CSRF,
    **body_cap("POST /settings/teams/{team_id:int}/members/{user_id:int}/remove"),
)
def remove_member(request: Request, session: SessionDep, user: AdminPage, team_id: Id, user_id: Id) -> Response:
    try:
        before = _team(session, team_id)
        access.remove_team_member(session, team_id=team_id, user_id=user_id)
    except CxloopError as exc:
        session.rollback()
        return _refused(request, session, user, exc, f"members-{team_id}", None)
    record_team_change(session, actor=web_actor(request, user), before=before, after=_team(session, team_id))
    return back_to("/settings/teams", "member-removed")
