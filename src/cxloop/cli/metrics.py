"""`cxloop metrics {nps|csat|ces}`."""

from __future__ import annotations

import typer

app = typer.Typer(help="Print NPS, CSAT or CES with n and 95% intervals, grouped and filtered.", no_args_is_help=True)
