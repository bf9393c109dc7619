"""`cxloop privacy export|erase|erasures` and `cxloop retention list|set|unset|run` (docs/privacy.md). Services are
imported inside the commands, so `--help` loads no database library (cli/main.py)."""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database, fail, settings
from cxloop.privacy.enums import ExportFormat, RetentionAction

app = typer.Typer(help="Privacy requests: export or erase everything held about one person.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention policies per data kind: keep N days, then delete or anonymise.")

_CUSTOMER = typer.Option(help="The customer: cxloop id, external id or email.")


def _audit(session: Any, action: str, *, target_id: object = None, changes: dict[str, Any] | None = None) -> None:
    """An audit entry for this command, by the person at the command line."""
    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor

    audit.record(session, actor=AuditActor.cli(), action=AuditAction(action), target_id=target_id, changes=changes)


@app.command("export")
def export(
    customer: Annotated[str, _CUSTOMER],
    format: Annotated[ExportFormat, typer.Option(help="json, or text for a readable summary.")] = ExportFormat.json,  # noqa: A002
) -> None:
    """Print everything held about one person (an access request)."""
    from cxloop.privacy import service as privacy
    from cxloop.privacy.summary import render_text

    with database().unit_of_work() as session:
        found = privacy.export_customer(session, reference=customer)
    with database().unit_of_work(write=True) as session:  # the customer by id only: entries outlive an erasure
        _audit(session, "privacy.exported", target_id=found.customer_id)
    if format is ExportFormat.text:
        typer.echo(render_text(found))
    else:
        typer.echo(json.dumps(found.model_dump(mode="json"), indent=2, ensure_ascii=False))


@app.command("erase")
def erase(
    customer: Annotated[str, _CUSTOMER],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase one person everywhere, irreversibly; prints what was removed."""
    from cxloop.privacy import service as privacy
    from cxloop.privacy.cleanup import finish_erasure
    from cxloop.privacy.summary import erasure_entry

    if not yes:
        typer.confirm(f"Erase customer {customer!r} and everything held about them? This cannot be undone", abort=True)
    with database().unit_of_work(write=True) as session:
        erasure = privacy.erase_customer(session, reference=customer, requested_by=f"cli:{getpass.getuser()}")
        entry = erasure_entry(erasure.record)
        _audit(session, "privacy.erased", target_id=entry["target_id"], changes=entry["changes"])
    finish_erasure(database(), settings(), erasure)
    table = Table("kind", "removed", title=f"erasure {erasure.record.id} (customer {erasure.record.customer_id})")
    for kind, count in erasure.record.removed.items():
        table.add_row(kind, str(count))
    console.print(table)


@app.command("erasures")
def erasures(limit: Annotated[int, typer.Option(help="How many records, newest first.")] = 50) -> None:
    """The erasure records: who asked, when, and how many rows of each kind went."""
    from cxloop.privacy import service as privacy

    with database().unit_of_work() as session:
        page = privacy.list_erasures(session, limit=max(1, min(limit, 500)))
    table = Table("id", "customer id", "requested by", "at", "removed")
    for r in page.items:
        removed = ", ".join(f"{k} {v}" for k, v in r.removed.items() if v)
        table.add_row(
            str(r.id), str(r.customer_id), escape(r.requested_by), f"{r.requested_at:%Y-%m-%d %H:%M}", removed
        )
    console.print(table)


@retention_app.command("list")
def list_policies() -> None:
    """Every data kind, its actions and its policy."""
    from cxloop.privacy import service as privacy

    with database().unit_of_work() as session:
        reads = privacy.list_retention(session)
    table = Table("kind", "keep days", "action", "allowed", "what")
    for r in reads:
        keep = str(r.keep_days) if r.keep_days else "forever"
        table.add_row(r.kind, keep, r.action or "-", ", ".join(r.actions), escape(r.description))
    console.print(table)


@retention_app.command("set")
def set_policy(
    kind: Annotated[str, typer.Argument(help="The data kind (see `cxloop retention list`).")],
    keep_days: Annotated[int, typer.Option(help="Days to keep rows of this kind.")],
    action: Annotated[RetentionAction, typer.Option(help="What happens after: delete or anonymise.")],
) -> None:
    """Keep rows of a kind for N days, then delete or anonymise them."""
    from cxloop.privacy import service as privacy
    from cxloop.privacy.schemas import RetentionPolicyUpdate

    if not 1 <= keep_days <= 36_500:
        raise fail("--keep-days must be between 1 and 36500")
    with database().unit_of_work(write=True) as session:
        read = privacy.set_retention_policy(
            session, kind=kind, data=RetentionPolicyUpdate(keep_days=keep_days, action=action)
        )
        _audit(session, "retention_policy.changed", target_id=kind, changes={"keep_days": keep_days, "action": action})
    console.print(f"{read.kind}: kept {read.keep_days} days, then {read.action}")


@retention_app.command("unset")
def unset_policy(kind: Annotated[str, typer.Argument(help="The data kind.")]) -> None:
    """Remove a kind's policy: its rows are kept forever again."""
    from cxloop.privacy import service as privacy

    with database().unit_of_work(write=True) as session:
        privacy.delete_retention_policy(session, kind=kind)
        _audit(session, "retention_policy.changed", target_id=kind, changes={"keep_days": None})
    console.print(f"{kind}: kept forever")


@retention_app.command("run")
def run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count the rows each policy would touch.")] = False,
) -> None:
    """Apply every policy now (the worker does it hourly), or count what each would touch."""
    from cxloop.privacy import service as privacy
    from cxloop.privacy.runner import run_retention

    if dry_run:
        with database().unit_of_work() as session:
            report = privacy.apply_retention(session, dry_run=True)
        touched = {item.kind: item.rows for item in report.items}
    else:
        touched = run_retention(database())
        with database().unit_of_work(write=True) as session:
            _audit(session, "retention.run", changes={"touched": touched})
    verb = "would touch" if dry_run else "touched"
    for kind, rows in touched.items():
        console.print(f"{kind}: {verb} {rows} rows")
    if not touched:
        console.print("no retention policies: everything is kept (`cxloop retention set`)")
