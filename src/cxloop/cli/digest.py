"""`cxloop digest preview|send|subscribe`: the weekly team digest (docs/digests.md)."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from cxloop.cli.context import console, database, fail, settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="The weekly team digest: preview it, send it now, choose who gets it.", no_args_is_help=True)

TeamOption = Annotated[str, typer.Option("--team", help="The team's key (or id).")]
WeekOption = Annotated[
    str | None,
    typer.Option("--week", help="The Monday the week starts on, e.g. 2026-11-30 (default: last week, team's time)."),
]


def _team_id(session: Session, team: str) -> int:
    from cxloop.access import service as access

    found = access.get_team(session, key=team) or (
        access.get_team(session, team_id=int(team)) if team.isdigit() else None
    )
    if found is None:
        raise fail(f"--team: no team has the key or id {team!r}", code=2)
    return found.id


def _week(session: Session, team_id: int, week: str | None) -> date:
    from cxloop.access import service as access
    from cxloop.core.clock import utcnow
    from cxloop.notifications import digests

    if week is None:
        return digests.last_week(access.require_team(session, team_id=team_id).timezone, now=utcnow())
    try:
        day = date.fromisoformat(week)
    except ValueError:
        raise fail(f"--week: {week!r} is not a date like 2026-11-30", code=2) from None
    if day.weekday() != 0:
        raise fail(f"--week: {week} is a {day:%A}; a digest week starts on a Monday", code=2)
    return day


@app.command("preview")
def preview(
    team: TeamOption,
    week: WeekOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the digest's data as JSON.")] = False,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the text.")] = False,
) -> None:
    """Print a team's digest of a week as its email would say it (nothing is sent)."""
    from cxloop.core.clock import utcnow
    from cxloop.notifications import digest_letter, digests

    with database().unit_of_work() as session:
        team_id = _team_id(session, team)
        data = digests.build(session, team_id=team_id, week_start=_week(session, team_id, week), now=utcnow())
        people = digests.recipients(session, team_id=team_id)
    if as_json:
        print(json.dumps({**data, "recipient_user_ids": people}, indent=2))  # noqa: T201 - data for pipes
        return
    subject, text, page = digest_letter.render(data, public_url=settings().public_url.rstrip("/"))
    console.print(page if html else text, markup=False, highlight=False, soft_wrap=True)
    who = "1 person" if len(people) == 1 else f"{len(people)} people"
    console.print(f"(goes to {who}: user ids {people or 'none'})", markup=False, highlight=False)


@app.command("send")
def send(
    team: TeamOption,
    week: WeekOption = None,
    again: Annotated[bool, typer.Option("--again", help="Send even if this week's digest went already.")] = False,
) -> None:
    """Send a team's digest of a week now to everyone opted in (once per team and week unless --again)."""
    from cxloop.core.clock import utcnow
    from cxloop.notifications import digests
    from cxloop.worker import build_sender  # the sender with the email transport the worker uses

    with database().unit_of_work(write=True) as session:
        team_id = _team_id(session, team)
        week_start = _week(session, team_id, week)
        message_ids = digests.queue_digest(session, team_id=team_id, week_start=week_start, now=utcnow(), again=again)
    if message_ids is None:
        raise fail(f"the digest of the week of {week_start} went already (use --again to send it again)")
    sender = build_sender(settings(), database())
    try:
        sender.run_pass(message_ids=message_ids)
    finally:
        sender.close()
    from cxloop.notifications import service as notifications

    with database().unit_of_work() as session:
        results = [notifications.require_message(session, message_id=i) for i in message_ids]
    failed = [m for m in results if m.status.value != "delivered"]
    console.print(f"digest of the week of {week_start}: {len(results) - len(failed)} of {len(results)} emails sent")
    if failed:
        raise fail(f"{len(failed)} not sent yet: {failed[0].last_error} (the worker will retry them)")


@app.command("subscribe")
def subscribe(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    off: Annotated[bool, typer.Option("--off", help="Stop sending them the weekly digest.")] = False,
) -> None:
    """Send a user the weekly digest of their teams (or stop, with --off). Leads get it unless they opt out."""
    from cxloop.access import service as access
    from cxloop.audit.schemas import AuditActor
    from cxloop.core.clock import utcnow
    from cxloop.notifications import digests

    with database().unit_of_work(write=True) as session:
        user_id = access.user_id_by_email(session, email=email)
        if user_id is None:
            raise fail(f"no active user has the email {email!r}", code=2)
        digests.choose(session, user_id=user_id, weekly_digest=not off, actor=AuditActor.cli(), now=utcnow())
    console.print(f"{email}: weekly digest {'off' if off else 'on'}", markup=False)
