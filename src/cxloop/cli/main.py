"""The `cxloop` command line: one module per command group, each imported only when its command runs.

`cxloop --help` lists the commands from the table below without importing them, so it starts in well under half a
second (docs/benchmarks.md); a command's module (and through it SQLAlchemy, pydantic, the app) is imported when that
command is resolved. tests/cli/test_startup.py checks that the help texts here match the commands'.
"""

from __future__ import annotations

import gc
from importlib import import_module
from typing import NamedTuple

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup


class LazyCommand(NamedTuple):
    target: str  # "module:attribute" under cxloop.cli: a Typer app (a group) or a command function
    help: str  # the first sentence of its help, shown by `cxloop --help`


COMMANDS: dict[str, LazyCommand] = {
    "init": LazyCommand(
        "setup:init",
        "Create the database, or migrate an existing one in place (every row is kept), and add the default journey.",
    ),
    "serve": LazyCommand("setup:serve", "Serve the web app and API with uvicorn (API docs at /docs)."),
    "demo": LazyCommand(
        "demo:demo",
        "Build the demo organisation: customers, accounts, events, surveys, responses, reviews, outcomes, segments.",
    ),
    "worker": LazyCommand("worker:worker", "Run the background jobs until stopped (Ctrl-C lets running jobs finish)."),
    "backup": LazyCommand(
        "backup:backup",
        "Copy the SQLite database to a file with SQLite's online backup: readers and writers carry on meanwhile, "
        "and the copy is one consistent moment.",
    ),
    "import": LazyCommand(
        "importing:app", "Import customers, responses, feedback, events or reviews from CSV or JSON Lines."
    ),
    "export": LazyCommand("exporting:app", "Export responses, feedback, customers or cases as CSV or JSON Lines."),
    "metrics": LazyCommand("metrics:app", "Print NPS, CSAT or CES with n and 95% intervals, grouped and filtered."),
    "analyze": LazyCommand(
        "analyze:app",
        "Analyses: comparisons, targets, anomalies, key drivers, outcomes, operations, agents, churn risk, maturity.",
    ),
    "experiments": LazyCommand(
        "experiments:app",
        "A/B tests of CX changes: variants by stable hashing, results with intervals, sample-size plans.",
    ),
    "invitations": LazyCommand(
        "invitations:app", "What happened to survey invitations: suppressed (and why), sent, answered."
    ),
    "api-key": LazyCommand("keys:app", "Create, list and revoke API keys."),
    "user": LazyCommand("keys:users_app", "Create and list users (people with a role)."),
    "users": LazyCommand("keys:users_app", "Create and list users (people with a role)."),
    "teams": LazyCommand("teams:app", "List, create and change teams (who owns cases, their hours and holidays)."),
    "cases": LazyCommand("cases:app", "List and show cases, follow up on one, the SLA, recovery and holdout reports."),
    "improvements": LazyCommand(
        "follow_ups:improvements_app", '"You asked, we fixed it": announce an improvement to the customers it answers.'
    ),
    "customers": LazyCommand("customers:app", "A customer's timeline: everything that happened to them, newest first."),
    "text": LazyCommand(
        "text:app", "Text enrichment (language, sentiment, key phrases, masked personal data) and themes."
    ),
    "alerts": LazyCommand("alerts:app", "Alert rules: list them and try one against the last days."),
    "segments": LazyCommand("segments:app", "List, show, refresh and validate customer segments."),
    "webhooks": LazyCommand(
        "webhooks:app", "Webhook and Slack destinations: register, health, tests, pauses and dead letters."
    ),
    "digest": LazyCommand("digest:app", "The weekly team digest: preview it, send it now, choose who gets it."),
    "outbox": LazyCommand("outbox:app", "The outbox: events waiting for handlers, dead letters, retries and replays."),
    "audit": LazyCommand("audit:audit", "Show who did what, when and from where (newest first)."),
    "contact-policies": LazyCommand(
        "contact_policies:app", "List, apply and delete contact policies (per customer segment)."
    ),
    "branding": LazyCommand("branding:app", "Who is asking: the name, sender name, colour and logo customers see."),
    "privacy": LazyCommand("privacy:app", "Privacy requests: export or erase everything held about one person."),
    "retention": LazyCommand(
        "privacy:retention_app", "Retention policies per data kind: keep N days, then delete or anonymise."
    ),
}


def load_command(name: str) -> _click.Command:
    """Import the module of command `name` and build its click command (typer's own vendored click)."""
    module_name, _, attribute = COMMANDS[name].target.partition(":")
    target = getattr(import_module(f"cxloop.cli.{module_name}"), attribute)
    if isinstance(target, typer.Typer):
        command: _click.Command = typer.main.get_group(target)  # a group even with one command, as add_typer made
    else:
        single = typer.Typer(add_completion=False)  # the root command offers completion; its commands do not
        single.command(name=name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A group whose commands are imported on first use; listing them for help imports nothing."""

    _listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:  # noqa: ARG002
        return list(COMMANDS)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:  # noqa: ARG002
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name].help)
        return load_command(cmd_name)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=LazyGroup,
    help="cxloop: a self-hostable Voice-of-the-Customer platform. Configure with CXLOOP_* variables "
    "(CXLOOP_DATABASE_URL, CXLOOP_DATA_DIR, ...).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """cxloop: a self-hostable Voice-of-the-Customer platform."""


def main() -> None:
    from cxloop.core.collector import LONG_LIVED_THRESHOLDS
    from cxloop.core.errors import CxloopError

    # A command imports hundreds of modules whose objects live as long as the process: with the default threshold
    # the collector rescanned them while they loaded (0.3-0.5 s of a 3 s start).
    gc.set_threshold(*LONG_LIVED_THRESHOLDS)
    try:
        app()
    except CxloopError as exc:
        from cxloop.cli.context import fail

        details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise SystemExit(fail(f"{exc.message}{' (' + details + ')' if details else ''}").exit_code) from exc
