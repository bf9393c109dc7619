"""`cxloop teams ...`: list, create and change teams and their members (docs/cases.md "People and teams")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from cxloop.access.enums import Assignment
from cxloop.cli.context import console, database, fail, validation_message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="List, create and change teams (who owns cases, their hours and holidays).", no_args_is_help=True
)

HoursOption = Annotated[
    str | None,
    typer.Option(help='Working hours as JSON, e.g. \'{"mon": ["09:00-18:00"], "tue": ["09:00-18:00"]}\'.'),
]


def _hours(text: str | None) -> dict[str, list[str]] | None:
    if text is None:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise fail("--hours: is not JSON") from None
    if not isinstance(value, dict):
        raise fail('--hours: give an object like {"mon": ["09:00-18:00"]}')
    return value


@app.command("list")
def list_teams() -> None:
    """Every team with its lead, members, time zone and hours."""
    from cxloop.access import service as access

    with database().unit_of_work() as session:
        reads = access.team_reads(session, access.list_teams(session))
        emails = {u.id: u.email for u in access.list_users(session)}
    table = Table("id", "key", "name", "lead", "members", "time zone", "hours", "assignment")
    for t in reads:
        table.add_row(
            str(t.id),
            t.key,
            escape(t.name),
            emails.get(t.lead_user_id or 0, "-"),
            ", ".join(emails.get(m, str(m)) for m in t.member_ids) or "-",
            t.timezone,
            orjson.dumps(t.business_hours).decode() if t.business_hours else "around the clock",
            t.assignment.value,
        )
    console.print(table)


@app.command("create")
def create(
    key: Annotated[str, typer.Argument(help="Short key, e.g. 'support'.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    lead: Annotated[str | None, typer.Option(help="The lead's email.")] = None,
    member: Annotated[list[str] | None, typer.Option(help="A member's email (repeat for several).")] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone of the hours, e.g. Europe/Paris.")] = "UTC",
    hours: HoursOption = None,
    holiday: Annotated[list[str] | None, typer.Option(help="A holiday, YYYY-MM-DD (repeat for several).")] = None,
    assignment: Annotated[Assignment, typer.Option(help="How new cases get an owner.")] = Assignment.round_robin,
) -> None:
    """Create a team."""
    from cxloop.access import service as access
    from cxloop.access.schemas import TeamCreate

    with database().unit_of_work(write=True) as session:
        lead_id = _user(session, lead, "--lead") if lead else None
        members = [_user(session, email, "--member") for email in member or []]
        try:
            data = TeamCreate(
                key=key,
                name=name or key,
                lead_user_id=lead_id,
                timezone=timezone,
                business_hours=_hours(hours),
                holidays=holiday or [],
                assignment=assignment,
                member_ids=members,
            )
        except ValidationError as exc:
            raise fail(validation_message(exc)) from None
        team = access.create_team(session, data=data)
    console.print(f"team {team.id} '{team.key}' created")


@app.command("update")
def update(
    key: Annotated[str, typer.Argument(help="The team's key.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    lead: Annotated[str | None, typer.Option(help="The lead's email.")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone of the hours.")] = None,
    hours: HoursOption = None,
    around_the_clock: Annotated[bool, typer.Option(help="Drop the working hours.")] = False,
    holiday: Annotated[list[str] | None, typer.Option(help="Holidays (replace the list).")] = None,
    assignment: Annotated[Assignment | None, typer.Option(help="How new cases get an owner.")] = None,
) -> None:
    """Change a team's name, lead, time zone, hours, holidays or assignment."""
    from cxloop.access import service as access
    from cxloop.access.schemas import TeamUpdate

    with database().unit_of_work(write=True) as session:
        team = access.require_team(session, key=key)
        fields: dict[str, object] = {"name": name, "timezone": timezone, "holidays": holiday, "assignment": assignment}
        given = {k: v for k, v in fields.items() if v is not None}
        if lead:
            given["lead_user_id"] = _user(session, lead, "--lead")
        if hours is not None or around_the_clock:
            given["business_hours"] = None if around_the_clock else _hours(hours)
        try:
            data = TeamUpdate.model_validate(given)
        except ValidationError as exc:
            raise fail(validation_message(exc)) from None
        access.update_team(session, team_id=team.id, data=data)
    console.print(f"team '{key}' updated")


def _change_membership(key: str, email: str, *, add: bool) -> None:
    from cxloop.access import service as access

    with database().unit_of_work(write=True) as session:
        team = access.require_team(session, key=key)
        change = access.add_team_member if add else access.remove_team_member
        change(session, team_id=team.id, user_id=_user(session, email, "email"))
    console.print(f"{email} is {'a member' if add else 'no longer a member'} of '{key}'")


@app.command("add-member")
def add_member(
    key: Annotated[str, typer.Argument(help="The team's key.")],
    email: Annotated[str, typer.Argument(help="The user's email.")],
) -> None:
    """Add a user to a team."""
    _change_membership(key, email, add=True)


@app.command("remove-member")
def remove_member(
    key: Annotated[str, typer.Argument(help="The team's key.")],
    email: Annotated[str, typer.Argument(help="The user's email.")],
) -> None:
    """Take a user out of a team."""
    _change_membership(key, email, add=False)


def _user(session: Session, email: str, option: str) -> int:
    from cxloop.access import service as access

    user_id = access.user_id_by_email(session, email=email)
    if user_id is None:
        raise fail(f"{option}: no active user with email {email}")
    return user_id
