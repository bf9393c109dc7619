"""`cxloop audit`: read the audit log (there is no command to change or delete entries; docs/audit.md)."""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from typing import Annotated

import typer

from cxloop.audit.enums import AuditAction
from cxloop.cli.context import console, database, instant_option


class AuditFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


_COLUMNS = ("id", "at", "action", "actor", "actor_name", "actor_role", "ip", "user_agent", "target_type", "target_id")


def audit(
    since: Annotated[
        str | None, typer.Option(help="Entries at or after this date-time (ISO-8601, UTC if no zone).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Entries before this date-time.")] = None,
    action: Annotated[AuditAction | None, typer.Option(help="Only this action, e.g. api_key.created.")] = None,
    actor: Annotated[str | None, typer.Option(help="api_key:<id>, cli:<os user>, anonymous or system.")] = None,
    target_type: Annotated[str | None, typer.Option(help="e.g. survey, api_key, contact_policy.")] = None,
    target_id: Annotated[str | None, typer.Option(help="The target's id (with --target-type).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many entries, newest first.")] = 100,
    output_format: Annotated[AuditFormat, typer.Option("--format", help="table, json or csv.")] = AuditFormat.table,
) -> None:
    """Show who did what, when and from where (newest first)."""
    import orjson

    from cxloop.audit import service as audit_log
    from cxloop.audit.schemas import AuditEntryRead
    from cxloop.core.csv_cells import csv_cell

    start, end = instant_option(since, "--since"), instant_option(until, "--until")
    entries: list[AuditEntryRead] = []
    cursor = None
    with database().unit_of_work() as session:
        while len(entries) < limit:
            page = audit_log.list_entries(
                session,
                since=start,
                until=end,
                actor=actor,
                action=action,
                target_type=target_type,
                target_id=target_id,
                cursor=cursor,
                limit=min(audit_log.MAX_LIMIT, limit - len(entries)),
            )
            entries.extend(page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    if output_format == AuditFormat.json:
        sys.stdout.write(
            orjson.dumps([e.model_dump(mode="json") for e in entries], option=orjson.OPT_INDENT_2).decode() + "\n"
        )
    elif output_format == AuditFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*_COLUMNS, "changes"])
        for e in entries:
            row = e.model_dump()
            writer.writerow([csv_cell(row[c]) for c in (*_COLUMNS, "changes")])
    else:
        from rich.table import Table

        table = Table("id", "at", "action", "actor", "from", "target", "changes")
        for e in entries:
            target = f"{e.target_type}:{e.target_id}" if e.target_id else e.target_type
            changes = orjson.dumps(e.changes).decode() if e.changes else ""
            table.add_row(
                str(e.id),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.action,
                f"{e.actor} {e.actor_name}".strip(),
                e.ip or "",
                target,
                changes[:120],
            )
        console.print(table)
