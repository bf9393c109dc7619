"""Fixtures shared by every test: a clean database on each backend, the app, and an authenticated client.

Every test that takes `db` runs twice, on SQLite and on PostgreSQL. Each test gets an empty schema: SQLite copies
a template file made once per run, PostgreSQL empties the throwaway database this run created (tests/postgres_reset.py).
Tests therefore exercise real commits, exactly like the app and the CLI do.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

# pytest-xdist starts its workers with COLUMNS=80, and Rich fixes a console's width from COLUMNS when the console is
# made (the CLI's console is made on import). Without it Rich reads COLUMNS at each print, so the width a test passes
# to `CliRunner.invoke(env=...)` holds with or without xdist.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from cxloop.access import passwords
from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.core.config import Settings
from cxloop.journeys import service as journeys
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from cxloop.wiring import wire_domains
from tests import fastapi_routes, postgres_reset

# A real server (uvicorn) and a real browser (Debian's Chromium through Playwright) for the tests that need them.
pytest_plugins = ("tests.live",)

# Each test builds its own app; they share FastAPI's preparation of the same routes (tests/fastapi_routes.py).
fastapi_routes.install()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    fastapi_routes.forget_apps()  # FastAPI's caches would keep each test's app alive (tests/fastapi_routes.py)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once the modules and tests are loaded, keep the cyclic garbage collector off them, as the app's server
    processes do (app._quiet_garbage_collector): every full collection rescanned them all, which took about a fifth
    of the suite's time."""
    gc.collect()
    gc.freeze()


# Passwords are hashed with argon2id as in production, but with argon2-cffi's profile for tests (CHEAPEST: 8 KiB, one
# pass) instead of RFC 9106's 64 MiB and three passes, about 0.25 s per hash or check: web tests create users and sign
# in hundreds of times. Tests marked `production_password_hashing` (tests/access/test_passwords.py) keep the real one.
_PRODUCTION_HASHER = passwords._hasher
passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.fixture(autouse=True)
def _password_hasher(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("production_password_hashing") is None:
        yield
        return
    cheap, passwords._hasher = passwords._hasher, _PRODUCTION_HASHER
    yield
    passwords._hasher = cheap


POSTGRES_ADMIN_URL = os.environ.get("CXLOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Every test starts with the default journey; PostgreSQL's reset copies it back from a seed (tests/postgres_reset.py).
_RESET = postgres_reset.reset_statement(metadata, seeded=postgres_reset.SEEDED_TABLES)


def _postgres_available() -> str | None:
    """None when the server answers, else the reason."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver error means: no usable server
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this run, dropped at the end."""
    problem = _postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but did not answer: {problem}")
        pytest.skip(f"PostgreSQL tests skipped: no server at {POSTGRES_ADMIN_URL} ({problem})")
    name = f"cxloop_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # Commits return before the WAL reaches the disk: the database is thrown away, so durability after a crash
        # does not matter, and visibility and locking are unchanged. Applies to every connection, subprocesses too.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    metadata.create_all(database.engine)
    with database.unit_of_work() as session:
        journeys.ensure_default_journey(session)
    with database.engine.connect() as connection:
        postgres_reset.save_seed(connection, postgres_reset.SEEDED_TABLES)
    database.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _postgres_cleaner(postgres_url: str) -> Iterator[Connection]:
    """One connection for the whole run that empties the database after each test."""
    engine = create_engine(postgres_url, poolclass=NullPool)
    with engine.connect() as connection:
        # A test that ends with a transaction still open holds locks: fail its teardown rather than hang the run.
        connection.execute(text("SET lock_timeout = '60s'"))
        # Emptying the database between tests is a purge: the audit log's triggers let only retention delete it.
        connection.execute(text("SET cxloop.retention = 'on'"))
        connection.commit()
        yield connection
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    metadata.create_all(database.engine)
    with database.unit_of_work() as session:  # each test's copy starts with it, as `db` makes it on PostgreSQL
        journeys.ensure_default_journey(session)
    database.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, fully migrated database URL on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "cxloop.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    cleaner: Connection = request.getfixturevalue("_postgres_cleaner")
    yield request.getfixturevalue("postgres_url")
    postgres_reset.reset(cleaner, _RESET)


@pytest.fixture(scope="session")
def _postgres_database(postgres_url: str) -> Iterator[Database]:
    """One Database (engine and pool) for every PostgreSQL test of this process.

    A new engine per test opened new server connections, and each new PostgreSQL backend starts with cold catalog
    caches: 20-50 ms before a test's first query returned. The rows are emptied between tests (`db_url`); the pooled
    connections are idle by then (a test that leaves one in a transaction fails the reset's lock timeout).
    """
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.fixture
def db(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A Database on an empty schema with the default journey in place."""
    # Jobs queued by the code under test (e.g. after events are stored) go to this test's own queue file.
    wire_domains(Settings(environment="test", data_dir=tmp_path / "data"))
    if db_url.startswith("sqlite"):
        database = Database(db_url)
        yield database  # the template holds the default journey
        database.dispose()
        return
    yield request.getfixturevalue("_postgres_database")  # the reset after each test restores the default journey


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=db_url, data_dir=tmp_path / "data")


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """An HTTP client for the real ASGI app on the test database (no key attached)."""
    with TestClient(create_app(settings, database=db)) as test_client:
        yield test_client


def make_key(db: Database, role: Role) -> dict[str, str]:
    with db.unit_of_work() as session:
        _, plain = access.create_api_key(session, name=f"test {role.value}", role=role)
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def admin_headers(db: Database) -> dict[str, str]:
    return make_key(db, Role.admin)


@pytest.fixture
def api(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    """The client with an admin API key sent on every request."""
    client.headers.update(admin_headers)
    return client
