"""`cxloop backup`: a consistent copy of the embedded SQLite database while the server keeps running."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated

import typer

from cxloop.cli.context import console, fail, settings


def backup(
    to: Annotated[Path, typer.Option("--to", help="The file to write (it must not exist yet).")],
) -> None:
    """Copy the SQLite database to a file with SQLite's online backup: readers and writers carry on meanwhile, and
    the copy is one consistent moment. On PostgreSQL, use pg_dump (docs/deployment.md#backups)."""
    from cxloop.storage.database import sqlite_file

    url = settings().resolved_database_url
    source = sqlite_file(url) if url.startswith("sqlite") else None
    if source is None:
        raise fail("this database is not a SQLite file: back PostgreSQL up with pg_dump (docs/deployment.md#backups)")
    if not source.exists():
        raise fail(f"there is no database at {source} yet: run `cxloop init` first")
    if to.exists():
        raise fail(f"{to} exists already: name a new file")
    to.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as origin, sqlite3.connect(to) as copy:
        origin.backup(copy, pages=4096)
        (pages,) = copy.execute("PRAGMA page_count").fetchone()
        (ok,) = copy.execute("PRAGMA quick_check").fetchone()
    if ok != "ok":
        raise fail(f"the copy at {to} did not pass SQLite's check ({ok}); keep the original and try again")
    console.print(f"[green]backed up[/] {source} to {to} ({pages} pages, checked)")
