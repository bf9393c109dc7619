"""`cxloop cases follow-up` and `cxloop improvements ...`: follow up on a case, announce what was fixed
(docs/follow-ups.md). Services are imported inside the commands, so `--help` stays light."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database, fail

if TYPE_CHECKING:
    from cxloop.core.errors import CxloopError

improvements_app = typer.Typer(
    help='"You asked, we fixed it": announce an improvement to the customers it answers. Each hears of it once.',
    no_args_is_help=True,
)


def _refused(exc: CxloopError) -> typer.Exit:
    for error in exc.errors:
        console.print(f"{escape(error.field)}: {escape(error.message)}", highlight=False)
    return fail(exc.message, code=2)


def _print_json(value: Any) -> None:
    console.print_json(json.dumps(value, default=str))


def follow_up(
    case_id: Annotated[int, typer.Argument(help="The case's id.", min=1)],
    template: Annotated[str, typer.Option(help="The template's name (GET /api/v1/follow-up-templates).")],
    channel: Annotated[str, typer.Option(help="email or sms.")] = "email",
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the message, consent and the contact policy's verdict; send nothing."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Send a templated follow-up to the case's customer (the worker sends it; exit 2 when refused, naming why)."""
    from cxloop.audit.schemas import AuditActor
    from cxloop.cases.enums import FollowUpChannel
    from cxloop.cases.follow_up_schemas import FollowUpAsk
    from cxloop.cases.schemas import Actor
    from cxloop.cases.service import follow_ups
    from cxloop.core.clock import utcnow
    from cxloop.core.errors import CxloopError

    if channel not in {c.value for c in FollowUpChannel}:
        raise fail(f"--channel: use email or sms, not '{channel}'", code=2)
    ask = FollowUpAsk(template=template, channel=FollowUpChannel(channel))
    actor = Actor(AuditActor.cli().name)
    try:
        with database().unit_of_work(write=not dry_run) as session:
            if dry_run:
                shown = follow_ups.preview(session, case_id=case_id, ask=ask, actor=actor, now=utcnow())
                result: dict[str, Any] = shown.model_dump(mode="json")
            else:
                row = follow_ups.request_follow_up(session, case_id=case_id, ask=ask, actor=actor, now=utcnow())
                result = follow_ups.follow_up_reads(session, [row])[0].model_dump(mode="json")
    except CxloopError as exc:
        raise _refused(exc) from exc
    if as_json:
        _print_json(result)
        return
    if dry_run:
        policy = result["policy"]
        console.print(
            f"to: {escape(str(result['to']))} by {result['channel']} (locale {result['locale'] or 'default'})"
        )
        if result["subject"]:
            console.print(f"subject: {escape(result['subject'])}")
        console.print(escape(result["body"]), highlight=False)
        console.print(f"consent: {result['consent']['state']}")
        verdict = "may be sent" if policy["allowed"] else "refused"
        console.print(f"contact policy ({policy['policy']}): {verdict}: {escape(policy['reason'])}")
        return
    console.print(f"follow-up {result['id']} {result['status']}: it leaves at {result['next_attempt_at']}")


@improvements_app.command("list")
def list_improvements(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """Improvements, latest shipped first, with how many customers were told."""
    from cxloop.cases.service import improvements

    with database().unit_of_work() as session:
        reads = improvements.improvement_reads(session, improvements.list_improvements(session))
    if as_json:
        _print_json([r.model_dump(mode="json") for r in reads])
        return
    table = Table("id", "shipped", "title", "root cause", "theme", "channel", "told", "last announced")
    for r in reads:
        table.add_row(
            str(r.id),
            f"{r.shipped_at:%Y-%m-%d}",
            escape(r.title),
            r.root_cause or "-",
            escape(r.theme or "-"),
            r.channel.value,
            str(r.sent),
            f"{r.announced_at:%Y-%m-%d %H:%M}" if r.announced_at else "never",
        )
    console.print(table)
    if not reads:
        console.print("no improvements")


@improvements_app.command("create")
def create(
    title: Annotated[str, typer.Option(help="What was fixed, e.g. 'Faster delivery in Wales'.")],
    body: Annotated[str, typer.Option(help="The message, with {first_name}, {organisation}, {improvement}...")],
    subject: Annotated[str | None, typer.Option(help="The email's subject.")] = None,
    root_cause: Annotated[
        str | None, typer.Option(help="Tell the customers of cases with this root cause (key).")
    ] = None,
    theme: Annotated[str | None, typer.Option(help="Tell the customers of cases tagged with this theme.")] = None,
    channel: Annotated[str, typer.Option(help="email or sms.")] = "email",
    shipped_at: Annotated[datetime | None, typer.Option(help="When it shipped (default: now).")] = None,
) -> None:
    """Store an improvement (announce it with `cxloop improvements announce ID`)."""
    from pydantic import ValidationError

    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor
    from cxloop.cases.follow_up_schemas import ImprovementCreate
    from cxloop.cases.service import improvements
    from cxloop.cli.context import validation_message
    from cxloop.core.clock import ensure_utc, utcnow
    from cxloop.core.errors import CxloopError

    try:
        data = ImprovementCreate(
            title=title,
            body=body,
            subject=subject,
            root_cause=root_cause,
            theme=theme,
            channel=channel,  # validated as a FollowUpChannel
            shipped_at=ensure_utc(shipped_at) if shipped_at else utcnow(),
        )
    except ValidationError as exc:
        raise fail(validation_message(exc), code=2) from exc
    try:
        with database().unit_of_work(write=True) as session:
            row = improvements.create_improvement(session, data=data)
            audit.record(
                session,
                actor=AuditActor.cli(),
                action=AuditAction.improvement_created,
                target_id=row.id,
                changes={"title": row.title, "root_cause": root_cause, "theme": theme},
            )
            improvement_id = row.id
    except CxloopError as exc:
        raise _refused(exc) from exc
    console.print(f"improvement {improvement_id} created")


@improvements_app.command("announce")
def announce(
    improvement_id: Annotated[int, typer.Argument(help="The improvement's id.", min=1)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Queue one message per matching customer not told yet; print the counts (queued, told before, skipped by
    reason). Running it again sends nothing twice."""
    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor
    from cxloop.cases.schemas import Actor
    from cxloop.cases.service import improvements
    from cxloop.core.errors import CxloopError

    who = AuditActor.cli()
    try:
        with database().unit_of_work(write=True) as session:
            counts = improvements.announce(session, improvement_id=improvement_id, actor=Actor(who.name))
            audit.record(
                session,
                actor=who,
                action=AuditAction.improvement_announced,
                target_id=improvement_id,
                changes=counts.model_dump(),
            )
    except CxloopError as exc:
        raise _refused(exc) from exc
    if as_json:
        _print_json(counts.model_dump())
        return
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.skipped.items())) or "none"
    console.print(
        f"matched {counts.matched} customers: queued {counts.queued}, told before {counts.already_announced}, "
        f"skipped {skipped}"
    )
