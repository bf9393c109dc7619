"""`cxloop contact-policies ...`: list the contact policies, apply them from a JSON file, delete one
(docs/governance.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database, fail
from cxloop.core.errors import CxloopError

if TYPE_CHECKING:
    from cxloop.governance.schemas import ContactPolicyRead

app = typer.Typer(help="List, apply and delete contact policies (per customer segment).", no_args_is_help=True)
MAX_FILE = 1024 * 1024


def _print(policies: list[ContactPolicyRead]) -> None:
    table = Table("key", "priority", "segment filter", "max / days", "weights", "quiet", "sampling", "holdout %")
    for found in policies:
        weights = " ".join(f"{name}={weight:g}" for name, weight in found.channel_weights.items())
        table.add_row(
            found.key,
            "-" if found.segment_filter is None else str(found.priority),
            escape(found.segment_filter or "(everyone else)"),
            f"{found.max_invitations} / {found.window_days}",
            weights,
            f"{found.quiet_start}-{found.quiet_end} {','.join(found.quiet_channels)}",
            f"{found.sampling_rate:g}",
            f"{found.holdout_percent:g}",
        )
    console.print(table)


@app.command("list")
def list_policies() -> None:
    """Every policy in the order they are tried: segment-scoped ones by priority, then the default."""
    from cxloop.governance import scoped_policies

    with database().unit_of_work() as session:
        _print([scoped_policies.read(found) for found in scoped_policies.list_policies(session)])


@app.command("apply")
def apply(
    path: Annotated[Path, typer.Argument(help="A JSON file: one policy object or a list of them, each with a key.")],
) -> None:
    """Create or change the policies in the file (by key; `default` is the organisation's), all or nothing."""
    from cxloop.governance import scoped_policies

    try:
        if path.stat().st_size > MAX_FILE:
            raise fail(f"{path}: larger than {MAX_FILE // 1024} KiB", code=2)
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{path}: {exc}", code=2) from exc
    items = document if isinstance(document, list) else [document]
    try:
        with database().unit_of_work(write=True) as session:
            applied = [found.key for found in scoped_policies.apply_policies(session, items)]
            _print([scoped_policies.read(found) for found in scoped_policies.list_policies(session)])
    except CxloopError as exc:
        for error in exc.errors:
            console.print(f"{escape(error.field)}: {escape(error.message)}", highlight=False)
        raise fail(exc.message) from exc
    console.print(f"applied: {', '.join(applied)}")


@app.command("delete")
def delete(key: Annotated[str, typer.Argument(help="The policy's key.")]) -> None:
    """Remove a segment-scoped policy: its customers fall back to the next matching one, or the default."""
    from cxloop.governance import scoped_policies

    try:
        with database().unit_of_work(write=True) as session:
            scoped_policies.delete_policy(session, key=key)
    except CxloopError as exc:
        raise fail(exc.message) from exc
    console.print(f"deleted: {key}")
