"""Checks before a command starts serving or migrating, each failing with one or two plain sentences and the fix
instead of a traceback: a weak secret in production, an unreachable database, a PostgreSQL database that does not
exist, a port in use."""

from __future__ import annotations

import errno
import socket

from pydantic import ValidationError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cxloop.core.config import Settings


class StartupProblem(Exception):
    """What stops the command, in plain words with the fix."""


def load_settings() -> Settings:
    """The settings from the environment, or StartupProblem naming the bad variable (never echoing its value)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"CXLOOP_{field.upper()}: {message}" if field else message)
        raise StartupProblem("; ".join(problems)) from None


def check_production_rules(settings: Settings, host: str) -> bool:
    """StartupProblem when serving on `host` makes the production rules apply and a secret is too weak; True when
    they apply (an unset CXLOOP_ENVIRONMENT with the embedded database, served beyond loopback)."""
    try:
        settings.check_production_rules(serving_on=host)
    except ValueError as exc:
        raise StartupProblem(f"serving on {host}: {exc}") from None
    return settings.production_rules(serving_on=host)


def check_database(url: str) -> None:
    """Connect once (5 s at most); StartupProblem with the fix when that fails. SQLite files are created on demand."""
    if url.startswith("sqlite"):
        return
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise StartupProblem(_database_problem(url, str(exc.orig))) from None
    finally:
        engine.dispose()


def _database_problem(url: str, message: str) -> str:
    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if "does not exist" in message and parsed.database and f'"{parsed.database}"' in message:
        return (
            f"the PostgreSQL database '{parsed.database}' does not exist on {where}. "
            "Create it with `cxloop init --create-database` (or `createdb`)."
        )
    if "password authentication failed" in message or "authentication" in message:
        user = parsed.username
        return f"PostgreSQL at {where} refused the user '{user}': check the user and password in CXLOOP_DATABASE_URL."
    return (
        f"cannot reach PostgreSQL at {where}: is the server running and CXLOOP_DATABASE_URL right? "
        f"({message.strip().splitlines()[0] if message.strip() else 'no answer'})"
    )


def create_postgres_database(url: str) -> bool:
    """Create the URL's PostgreSQL database when it does not exist (through the server's `postgres` database);
    True when it was created."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return False
    admin = create_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            )
            if exists:
                return False
            quoted = connection.dialect.identifier_preparer.quote(parsed.database)
            connection.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    except OperationalError as exc:
        raise StartupProblem(_database_problem(url, str(exc.orig))) from None
    finally:
        admin.dispose()


def check_port(host: str, port: int) -> None:
    """StartupProblem when `host:port` cannot be listened on (in use, or not this machine's address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartupProblem(
                    f"port {port} on {host} is in use (another cxloop?). Stop it, or choose another port: "
                    f"`cxloop serve --port {port + 1}` (with make: `make run PORT={port + 1}`)."
                ) from None
            raise StartupProblem(f"cannot listen on {host}:{port}: {exc.strerror}.") from None
