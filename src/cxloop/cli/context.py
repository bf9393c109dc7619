"""What every command needs: the Settings and the Database, built once per invocation.

Imported by every command module, so it imports nothing heavy itself: pydantic-settings and SQLAlchemy load when a
command first asks for the settings or the database, never for `--help` (cli/main.py).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from cxloop.core.config import Settings
    from cxloop.storage.database import Database

console = Console()
err_console = Console(stderr=True)


@cache
def settings() -> Settings:
    from cxloop.cli.preflight import StartupProblem, load_settings

    try:
        return load_settings()
    except StartupProblem as problem:
        raise fail(str(problem)) from None


@cache
def database() -> Database:
    from cxloop.storage.database import Database
    from cxloop.wiring import wire_domains  # the CLI is a composition root too

    wire_domains(settings())
    return Database(settings().resolved_database_url)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error in plain words and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
