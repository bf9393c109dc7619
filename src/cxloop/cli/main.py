"""The `cxloop` command line: one module per command group."""

from __future__ import annotations

import typer

from cxloop.cli import (
    backup,
    branding,
    demo,
    exporting,
    importing,
    invitations,
    keys,
    metrics,
    outbox,
    privacy,
    segments,
    setup,
    webhooks,
    worker,
)
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
app.command()(demo.demo)
app.command()(worker.worker)
app.command()(backup.backup)
app.add_typer(importing.app, name="import")
app.add_typer(exporting.app, name="export")
app.add_typer(metrics.app, name="metrics")
app.add_typer(invitations.app, name="invitations")
app.add_typer(keys.app, name="api-key")
app.add_typer(keys.users_app, name="user")
app.add_typer(segments.app, name="segments")
app.add_typer(outbox.app, name="outbox")
app.add_typer(branding.app, name="branding")
app.add_typer(privacy.app, name="privacy")
app.add_typer(privacy.retention_app, name="retention")
app.add_typer(webhooks.app, name="webhooks")


def main() -> None:
    try:
        app()
    except CxloopError as exc:
        details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise SystemExit(fail(f"{exc.message}{' (' + details + ')' if details else ''}").exit_code) from exc
