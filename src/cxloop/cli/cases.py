"""`cxloop cases ...`: list and show cases, and the SLA report (docs/cases.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cases.enums import CaseStatus
from cxloop.cli import case_reports
from cxloop.cli.context import console, database
from cxloop.cli.follow_ups import follow_up

if TYPE_CHECKING:
    from cxloop.cases.schemas import Share, VerificationRead

app = typer.Typer(
    help="List and show cases, follow up on one, the SLA, recovery and holdout reports.", no_args_is_help=True
)
app.command("follow-up")(follow_up)
app.command("recovery")(case_reports.recovery)
app.command("holdout-report")(case_reports.holdout_report)


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


@app.command("list")
def list_cases(
    status: Annotated[list[CaseStatus] | None, typer.Option(help="Only cases in this status (repeatable).")] = None,
    team: Annotated[str | None, typer.Option(help="Only this team's cases (its key).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first.")] = 50,
) -> None:
    """Cases, newest first."""
    from cxloop.access import service as access
    from cxloop.cases import service as cases

    with database().unit_of_work() as session:
        team_id = access.require_team(session, key=team).id if team else None
        rows, _ = cases.list_cases(session, status=status or (), team_id=team_id, limit=limit)
        reads = cases.case_reads(session, rows)
        teams = {t.id: t.key for t in access.list_teams(session)}
        users = {u.id: u.email for u in access.list_users(session)}
    table = Table("id", "status", "priority", "team", "owner", "customer", "created", "acknowledge due", "title")
    for c in reads:
        table.add_row(
            str(c.id),
            c.status.value,
            c.priority.value,
            teams.get(c.team_id or 0, "-"),
            users.get(c.owner_user_id or 0, "-"),
            str(c.customer_id),
            _when(c.created_at),
            _when(c.acknowledge_due_at) if c.acknowledged_at is None else "done",
            escape(c.title),
        )
    console.print(table)
    if not reads:
        console.print("no cases")


@app.command("show")
def show(case_id: Annotated[int, typer.Argument(help="The case's id.")]) -> None:
    """One case: its state, times, feedback and activity log."""
    from cxloop.cases import service as cases

    with database().unit_of_work() as session:
        detail = cases.case_detail(session, cases.require_case(session, case_id=case_id))
    console.print(f"[bold]case {detail.id}[/]: {escape(detail.title)}")
    console.print(f"status {detail.status.value}, priority {detail.priority.value}, customer {detail.customer_id}")
    console.print(
        f"team {detail.team_id or '-'}, owner {detail.owner_user_id or '-'}; "
        f"routing: {detail.routing.get('reason', '-')}"
    )
    for name in ("created", "acknowledged", "first_response", "resolved", "closed"):
        console.print(f"  {name:<15} {_when(getattr(detail, f'{name}_at'))}")
    console.print(
        f"  due: acknowledge {_when(detail.acknowledge_due_at)}, first response {_when(detail.first_response_due_at)}, "
        f"close {_when(detail.close_due_at)}"
    )
    if detail.root_cause or detail.resolution:
        console.print(f"root cause {detail.root_cause or '-'}: {escape(detail.resolution or '')}")
    console.print("feedback: " + (", ".join(f"{t.source.value} {t.id}" for t in detail.triggers) or "-"))
    if detail.held_out:
        console.print("held out of follow-ups (the holdout group)")
    console.print(f"verification: {_verification(detail.verification)}")
    table = Table("when", "who", "what", "details")
    for a in detail.activity:
        table.add_row(_when(a.at), escape(a.actor), a.kind, escape(a.note or str(a.detail or "")))
    console.print(table)


def _verification(found: VerificationRead | None) -> str:
    if found is None:
        return "not made yet"
    metric = (found.metric or "").upper()
    scores = f"{metric} {found.before_score if found.before_score is not None else '-'} -> "
    scores += f"{found.after_score}" if found.after_score is not None else "not answered"
    invitation = f", invitation {found.invitation_id} {found.invitation_status}" if found.invitation_id else ""
    reason = f" ({escape(found.reason)})" if found.reason else ""
    return f"{found.status.value}{reason}: {scores}{invitation}"


def _share(value: Share) -> str:
    if value.percent is None:
        return f"- (n=0; target {value.target:.0f} %)"
    interval = f" [{value.interval[0]:.0f}-{value.interval[1]:.0f}]" if value.interval else ""
    return f"{value.percent:.0f} %{interval} n={value.n} (target {value.target:.0f} %)"


@app.command("sla-report")
def sla_report(by: Annotated[str, typer.Option(help="team or owner")] = "team") -> None:
    """Per team or owner: shares acknowledged within 2 h / 6 h and closed within 48 h, median and p90 hours."""
    from cxloop.cases import service as cases
    from cxloop.core.clock import utcnow

    if by not in ("team", "owner"):
        raise typer.BadParameter("use team or owner", param_hint="--by")
    with database().unit_of_work() as session:
        report = cases.sla_report(session, by="team" if by == "team" else "owner", as_of=utcnow())
    table = Table(by, "cases", "ack ≤ 2 h", "ack ≤ 6 h", "closed ≤ 48 h", "ack median/p90 h", "close median/p90 h")
    for row in report.rows:
        table.add_row(
            escape(row.group),
            str(row.cases),
            _share(row.acknowledged_within_2h),
            _share(row.acknowledged_within_6h),
            _share(row.closed_within_48h),
            f"{row.time_to_acknowledge.median_hours or '-'} / {row.time_to_acknowledge.p90_hours or '-'}",
            f"{row.time_to_close.median_hours or '-'} / {row.time_to_close.p90_hours or '-'}",
        )
    console.print(table)
