"""`cxloop init` and `cxloop serve`."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from typing import Annotated

import typer

from cxloop.cli.context import console, database, fail, settings


def init(
    create_database: Annotated[
        bool,
        typer.Option(
            "--create-database",
            help="Create the PostgreSQL database named in CXLOOP_DATABASE_URL first, if it does not exist.",
        ),
    ] = False,
) -> None:
    """Create the database, or migrate an existing one in place (every row is kept), and add the default journey."""
    from cxloop import migrations
    from cxloop.cli import preflight
    from cxloop.journeys import service as journeys

    url = settings().resolved_database_url
    try:
        if create_database and preflight.create_postgres_database(url):
            console.print(f"created the PostgreSQL database at {_display_url(url)}")
        preflight.check_database(url)
    except preflight.StartupProblem as problem:
        raise fail(str(problem)) from None
    migrations.upgrade(url)
    with database().unit_of_work() as session:
        journey = journeys.ensure_default_journey(session)
    console.print(f"[green]database ready[/] at {_display_url(url)} (default journey '{journey.key}')")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (each is a full app).")] = 1,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--with-worker",
            help="Also run `cxloop worker` beside the server (one process, stopped with it), so invitations, "
            "reminders and trigger rules are sent. Without it, run `cxloop worker` yourself.",
        ),
    ] = False,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    max_in_flight: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Requests each server process works on at once; more get 503 with Retry-After at once "
            "(0: no bound). Default 128 (CXLOOP_MAX_IN_FLIGHT).",
        ),
    ] = None,
    max_loop_lag: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=10_000,
            help="Milliseconds a server process's event loop may run late; beyond it, with a request of its own "
            "in flight, new requests get 503 with Retry-After at once (0: not watched). Default 0 "
            "(CXLOOP_MAX_LOOP_LAG_MS); 20 trims the latency of overload (docs/deployment.md).",
        ),
    ] = None,
    rate_per_key: Annotated[
        int | None,
        typer.Option(min=0, help="/api/v1 requests per API key in each window (0: off). Default 60000."),
    ] = None,
    rate_per_ip: Annotated[
        int | None,
        typer.Option(min=0, help="/api/v1 requests per client address in each window (0: off). Default 120000."),
    ] = None,
    rate_window: Annotated[
        int | None, typer.Option(min=1, help="Seconds of the rate-limit window. Default 60.")
    ] = None,
) -> None:
    """Serve the web app and API with uvicorn (API docs at /docs).

    Links in emails, SMS and API answers point at http://HOST:PORT unless CXLOOP_PUBLIC_URL is set (set it behind a
    proxy or TLS terminator, and for workers started on their own).
    """
    import uvicorn

    from cxloop.cli import preflight

    try:
        production = preflight.check_production_rules(settings(), host)
        preflight.check_database(settings().resolved_database_url)
        preflight.check_port(host, port)
    except preflight.StartupProblem as problem:
        raise fail(str(problem)) from None
    if production and settings().environment is None:
        os.environ["CXLOOP_ENVIRONMENT"] = "production"  # the server processes and the worker hold the same rules
    public_url = _public_url(host, port)
    os.environ["CXLOOP_PUBLIC_URL"] = public_url  # the server processes and the worker read their own Settings
    for name, value in (
        ("MAX_IN_FLIGHT", max_in_flight),
        ("MAX_LOOP_LAG_MS", max_loop_lag),
        ("API_RATE_PER_KEY", rate_per_key),
        ("API_RATE_PER_IP", rate_per_ip),
        ("API_RATE_WINDOW", rate_window),
    ):
        if value is not None:
            os.environ[f"CXLOOP_{name}"] = str(value)
    console.print(f"cxloop on [bold]http://{host}:{port}[/] (API docs at http://{host}:{port}/docs)")
    console.print(f"links in emails and SMS point to {public_url}")
    worker = _start_worker() if with_worker else None
    if worker is None:
        console.print(
            "[yellow]no worker runs beside this server:[/] invitations, reminders and trigger rules are not sent. "
            "Start `cxloop worker`, or serve with `--with-worker`."
        )
    try:
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
    finally:
        if worker is not None:
            _stop(worker)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _public_url(host: str, port: int) -> str:
    """CXLOOP_PUBLIC_URL when set, else the address the server listens on (loopback for a wildcard address)."""
    if "public_url" in settings().model_fields_set:
        return settings().public_url.rstrip("/")
    shown = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104 (a comparison, not a bind)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _start_worker() -> subprocess.Popen[bytes]:
    """`cxloop worker` as a child process with this environment (its own process: jobs never slow requests).

    The worker must end with the server however the server ends: uvicorn re-raises a SIGTERM after its graceful
    shutdown, which ends this process before any `finally` runs. On Linux the kernel sends the worker SIGINT when its
    parent dies (PR_SET_PDEATHSIG), which lets its running jobs finish; elsewhere `_stop` is the only way."""
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter)
        [sys.executable, "-m", "cxloop", "worker"],
        preexec_fn=_interrupt_when_parent_dies,  # noqa: PLW1509 (started before uvicorn: no other thread yet)
    )
    console.print(f"worker started (process {worker.pid})")
    return worker


def _interrupt_when_parent_dies() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Ctrl-C lets the worker's running jobs finish; it gets 20 s before it is killed."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def _display_url(url: str) -> str:
    if "@" in url:  # hide a password in postgresql://user:password@host
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
