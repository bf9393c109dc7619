"""What every command needs: the Settings and the Database, built once per invocation.

Imported by every command module, so it imports nothing heavy itself: pydantic-settings and SQLAlchemy load when a
command first asks for the settings or the database, never for `--help` (cli/main.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from cxloop.core.config import Settings
    from cxloop.core.errors import CxloopError
    from cxloop.storage.database import Database

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

# Every command that writes CSV takes this option (core/csv_cells.py, docs/importing.md "Formulas in CSV files").
FormulaEscapeOption = Annotated[
    bool,
    typer.Option(
        "--formula-escape/--no-formula-escape",
        help="Put a ' before text cells a spreadsheet would run as a formula (=, +, -, @, tab, CR) and quote every "
        "text cell; --no-formula-escape writes cells verbatim, for programs that read the file.",
    ),
]


@cache
def settings() -> Settings:
    from cxloop.cli.preflight import StartupProblem, load_settings

    try:
        return load_settings()
    except StartupProblem as problem:
        raise fail(str(problem)) from None


@cache
def database() -> Database:
    from cxloop.storage.database import database_for
    from cxloop.wiring import wire_domains  # the CLI is a composition root too

    try:
        wire_domains(settings())
    except ValueError as exc:  # a setting the domains refuse (e.g. CXLOOP_METRIC_MIN_N), named in the message
        raise fail(str(exc), code=2) from exc
    return database_for(settings())


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error in plain words and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def read_or_refuse(compute: Callable[[Session], T]) -> T:
    """`compute` over a read-only unit of work; input the services refuse (InvalidInput) exits 2 naming each
    option, as `refused` says it."""
    from cxloop.core.errors import InvalidInput

    try:
        with database().unit_of_work() as session:
            return compute(session)
    except InvalidInput as exc:
        raise refused(exc) from exc


def refused(exc: CxloopError) -> typer.Exit:
    """Exit code 2 for input a command's options gave and a service refused, naming each option and why."""
    details = "; ".join(f"--{e.field.replace('_', '-')}: {e.message}" for e in exc.errors)
    return fail(f"{exc.message} ({details})" if details else exc.message, code=2)


def instant_option(value: str | None, option: str) -> datetime | None:
    """An ISO-8601 date or date-time option (UTC when it names no zone); exit code 2 naming the option if bad."""
    from cxloop.core.clock import parse_instant

    try:
        return parse_instant(value) if value else None
    except ValueError:
        raise fail(f"{option} must be an ISO-8601 date or date-time, e.g. 2026-12-01", code=2) from None


def validation_message(exc: ValidationError) -> str:
    """A pydantic error in plain words: 'field: reason; ...' (options are named as their fields)."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
