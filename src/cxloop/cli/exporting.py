"""`cxloop export {responses|feedback|customers}`."""

from __future__ import annotations

import typer

app = typer.Typer(help="Export responses, feedback or customers as CSV or JSON Lines.", no_args_is_help=True)
