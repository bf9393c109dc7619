"""`cxloop import {customers|responses|feedback|events} FILE`."""

from __future__ import annotations

import typer

app = typer.Typer(help="Import customers, responses, feedback or events from CSV or JSON Lines.", no_args_is_help=True)
