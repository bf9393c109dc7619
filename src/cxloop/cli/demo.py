"""`cxloop demo`: build the demo organisation (a year of a believable company's customer feedback)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from cxloop.cli.context import console, database

# Keep in step with cxloop.demo.builder; the builder itself is imported when the command runs, which keeps
# `cxloop --help` fast.
DEFAULT_SEED = 7
DEFAULT_CUSTOMERS = 5000
DEFAULT_MONTHS = 12


def demo(
    seed: Annotated[int, typer.Option(help="Same seed, same company: customers, scores and comments.")] = DEFAULT_SEED,
    customers: Annotated[int, typer.Option(help="How many customers to create (SMB and enterprise).")] = (
        DEFAULT_CUSTOMERS
    ),
    months: Annotated[int, typer.Option(help="How many months of history, ending yesterday.")] = DEFAULT_MONTHS,
    today: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The demo's 'today' (default: the current UTC date)."),
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database already holds customers.")
    ] = False,
) -> None:
    """Build the demo organisation: customers, accounts, events, surveys, responses, reviews, outcomes, segments.

    Also teams and users (some can sign in: the password is printed), alert and routing rules, SLA policies, and a
    year of cases handled by the teams (docs/demo.md)."""
    from cxloop.demo.builder import PHASES, build_demo, has_customers
    from cxloop.demo.staff import DEMO_PASSWORD, sign_in_users

    db = database()
    if if_empty:
        with db.unit_of_work() as session:
            if has_customers(session):
                console.print("database already holds customers; demo not loaded")
                return
    anchor: date | None = today.date() if today else None
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        summary = build_demo(db, seed=seed, customers=customers, months=months, today=anchor, progress=report)
    table = Table("what", "count", title=f"Demo built (seed {summary.seed}) in {summary.seconds:.1f} s")
    table.add_row("period", f"{summary.start} to {summary.anchor} (exclusive)")
    for label, value in (
        ("accounts", summary.accounts),
        ("customers", summary.customers),
        ("  of whom churned", summary.churned_customers),
        ("events", summary.events),
        ("surveys", summary.surveys),
        ("invitations", summary.invitations),
        ("responses", summary.responses),
        ("  with a comment", summary.comments),
        ("reviews, posts, chats", summary.feedback),
        ("outcomes", summary.outcomes),
        ("teams", summary.teams),
        ("users", summary.users),
        ("alerts fired", summary.casework.alerts),
        ("cases", summary.casework.cases),
        ("  closed", summary.casework.closed),
        ("  reopened", summary.casework.reopened),
        ("  SLA breaches", summary.casework.breaches),
        ("  still open", summary.casework.open_at_end),
        ("follow-ups sent", summary.casework.follow_ups),
        ("  customer replies", summary.casework.customer_replies),
        ("re-surveys sent", summary.casework.verifications),
        ("  answered", summary.casework.verifications_answered),
    ):
        table.add_row(label, f"{value:,}")
    for key, members in summary.segments.items():
        table.add_row(f"segment '{key}'", f"{members:,} members")
    console.print(table)
    people = Table("sign in as", "role", "team", title=f"Demo users (password: {DEMO_PASSWORD})")
    for person in sign_in_users():
        people.add_row(person.email, person.role.value, person.team or "-")
    console.print(people)
    console.print(
        "Try: [bold]cxloop metrics nps --by month,segment[/], [bold]cxloop cases sla-report[/], "
        "[bold]cxloop cases recovery[/] and [bold]cxloop cases holdout-report[/]"
    )
