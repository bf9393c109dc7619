"""`cxloop alerts rules list|try`: the alert rules (on feedback or on anomalies), and how often one would have fired
(docs/alerts.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database

app = typer.Typer(help="Alert rules: list them and try one against the last days.", no_args_is_help=True)
rules = typer.Typer(help="List alert rules and try one.", no_args_is_help=True)
app.add_typer(rules, name="rules")


def _condition(c: dict[str, object]) -> str:
    return f"{c['field']} {c['op']} {c['value']}"


@rules.command("list")
def list_rules() -> None:
    """Every rule: on or off, its version, conditions and actions."""
    from cxloop.alerts import service as alerts

    with database().unit_of_work() as session:
        found = [alerts.read(r) for r in alerts.list_rules(session)]
    table = Table("id", "on", "version", "source", "name", "conditions (all hold)", "actions")
    for rule in found:
        conditions = " and ".join(_condition(c.model_dump(mode="json")) for c in rule.conditions)
        actions = ", ".join(a.kind for a in rule.actions)
        table.add_row(
            str(rule.id),
            "yes" if rule.enabled else "no",
            str(rule.version),
            rule.source.value,
            escape(rule.name),
            escape(conditions),
            actions,
        )
    console.print(table)
    if not found:
        console.print("no alert rules")


@rules.command("try")
def try_rule(
    rule_id: Annotated[int, typer.Argument(min=1, help="The rule's id (see `cxloop alerts rules list`).")],
    days: Annotated[int, typer.Option(min=1, max=365, help="How many days back to look.")] = 30,
) -> None:
    """How many stored responses and feedback items (anomalies, for an anomaly rule) of the last DAYS days the rule
    would have fired on."""
    from cxloop.alerts import service as alerts
    from cxloop.alerts.enums import RuleSource
    from cxloop.core.errors import NotFound

    with database().unit_of_work() as session:
        try:
            draft = alerts.draft_of(alerts.require_rule(session, rule_id=rule_id))
        except NotFound as error:
            console.print(f"[red]{error.message}[/red]")
            raise typer.Exit(1) from None
        result = alerts.try_rule(session, draft=draft, days=days)
    counted = (
        f"{result.anomalies} anomalies"
        if draft.source == RuleSource.anomaly
        else f"{result.responses} responses, {result.feedback} feedback items"
    )
    console.print(
        f"would have fired {result.matches} times in the last {days} days ({counted}; {result.examined} examined)"
    )
