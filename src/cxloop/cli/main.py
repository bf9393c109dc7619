"""The `cxloop` command line: one module per command group."""

from __future__ import annotations

import typer

from cxloop.cli import keys, setup
from cxloop.cli.context import fail
from cxloop.core.errors import CxloopError

app = typer.Typer(
    help="cxloop: a self-hostable Voice-of-the-Customer platform. Configure with CXLOOP_* variables "
    "(CXLOOP_DATABASE_URL, CXLOOP_DATA_DIR, ...).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(setup.init)
app.command()(setup.serve)
app.add_typer(keys.app, name="api-key")


def main() -> None:
    try:
        app()
    except CxloopError as exc:
        details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise SystemExit(fail(f"{exc.message}{' (' + details + ')' if details else ''}").exit_code) from exc
