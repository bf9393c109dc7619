"""`cxloop init` and `cxloop serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from cxloop import migrations
from cxloop.cli.context import console, database, settings
from cxloop.journeys import service as journeys


def init() -> None:
    """Create the database, or migrate an existing one in place (every row is kept), and add the default journey."""
    url = settings().resolved_database_url
    migrations.upgrade(url)
    with database().unit_of_work() as session:
        journey = journeys.ensure_default_journey(session)
    console.print(f"[green]database ready[/] at {_display_url(url)} (default journey '{journey.key}')")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (each is a full app).")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web app and API with uvicorn (API docs at /docs)."""
    import uvicorn

    console.print(f"cxloop on [bold]http://{host}:{port}[/] (API docs at http://{host}:{port}/docs)")
    uvicorn.run(
        "cxloop.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level=settings().log_level.lower(),
        access_log=False,
    )


def _display_url(url: str) -> str:
    if "@" in url:  # hide a password in postgresql://user:password@host
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
