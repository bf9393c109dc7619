"""`cxloop cases recovery` and `cxloop cases holdout-report`: what resolving cases and following up achieved
(docs/cases.md "Recovery report" and "Holdout"). Registered on the `cases` command (cli/cases.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database, instant_option

if TYPE_CHECKING:
    from pydantic import BaseModel

    from cxloop.cases.schemas import ArmFigure, RecoveryShare

R = TypeVar("R", bound="BaseModel")
Since = Annotated[str | None, typer.Option(help="From this date-time (ISO-8601, UTC if no zone).")]
Until = Annotated[str | None, typer.Option(help="Before this date-time.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the whole report as JSON.")]


def _report(build: Callable[..., R], since: str | None, until: str | None, as_json: bool) -> R | None:
    """The report over [since, until); printed as JSON (and None returned) with --json."""
    import orjson

    start, end = instant_option(since, "--since"), instant_option(until, "--until")
    with database().unit_of_work() as session:
        report = build(session, since=start, until=end)
    if not as_json:
        return report
    sys.stdout.write(orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode() + "\n")
    return None


def _share(share: RecoveryShare) -> list[str]:
    interval = f"{share.interval[0]:.0f}-{share.interval[1]:.0f}" if share.interval else "-"
    percent = f"{share.percent:.0f} %" if share.percent is not None else "-"
    nps = f"{share.passives} / {share.promoters}" if share.promoters is not None else ""
    return [str(share.n), str(share.recovered), percent, interval, nps, "small n" if share.small else ""]


def recovery(since: Since = None, until: Until = None, as_json: AsJson = False) -> None:
    """Of the verified detractors (unhappy on CSAT or CES), how many recovered, overall and by team, root cause and
    channel; each share with n and a 95 % Wilson interval, small n flagged."""
    from cxloop.cases import service as cases

    report = _report(cases.recovery_report, since, until, as_json)
    if report is None:
        return
    if not report.metrics:
        console.print("no answered verification re-surveys of unhappy customers yet")
    for metric in report.metrics:
        console.print(
            f"[bold]{metric.metric.upper()}[/]: unhappy {metric.unhappy}, recovered {metric.recovered_when} "
            f"(small: n < {report.min_n})"
        )
        table = Table("by", "group", "n", "recovered", "%", "95 % CI", "passives / promoters", "")
        for by, shares in (
            ("all", [metric.total]),
            ("team", metric.by_team),
            ("root cause", metric.by_root_cause),
            ("channel", metric.by_channel),
        ):
            for share in shares:
                table.add_row(by, escape(share.group), *_share(share))
        console.print(table)


def _arm(arm: ArmFigure, unit: str) -> str:
    if arm.value is None:
        return f"- (n={arm.n})"
    interval = f" [{arm.interval[0]:.1f}-{arm.interval[1]:.1f}]" if arm.interval else ""
    return f"{arm.value:.1f}{unit}{interval} n={arm.n}"


def holdout_report(since: Since = None, until: Until = None, as_json: AsJson = False) -> None:
    """Churn and next score of followed-up vs held-out customers, with intervals, the difference and its test."""
    from cxloop.cases import service as cases

    report = _report(cases.holdout_report, since, until, as_json)
    if report is None:
        return
    console.print(
        f"{report.customers} customers counted (each one's first case); {report.not_followed_up} neither held out "
        f"nor followed up, left out"
    )
    table = Table("measure", "followed up", "held out", "difference [95 % CI]", "test", "p")
    for item, unit in ((report.churn, " %"), *((s, "") for s in report.scores)):
        difference = "-" if item.difference is None else f"{item.difference:+.1f}"
        if item.interval:
            difference += f" [{item.interval[0]:+.1f} to {item.interval[1]:+.1f}]"
        p = "-" if item.p_value is None else f"{item.p_value:.3f}"
        table.add_row(item.measure, _arm(item.followed_up, unit), _arm(item.held_out, unit), difference, item.test, p)
    console.print(table)
    for item in (report.churn, *report.scores):
        console.print(escape(item.sentence))
