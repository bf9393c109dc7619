"""Throwaway databases for the benchmarks: a SQLite file, or a PostgreSQL database created and dropped after.

PostgreSQL comes from CXLOOP_BENCH_POSTGRES_URL (default: the test server) unless a server URL is given.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cxloop.journeys import service as journeys
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.templates import get_template

POSTGRES_URL = os.environ.get("CXLOOP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def throwaway_database(backend: str, server_url: str | None = None) -> Iterator[str]:
    """The URL of a new, empty database, removed when the block ends."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="cxloop-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    admin_url = server_url or POSTGRES_URL
    name = f"cxloop_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def kept_database(backend: str, keep: str, server_url: str | None = None) -> Iterator[tuple[str, bool]]:
    """(URL, whether it already existed) of a database kept between runs: the SQLite file `keep`, or the PostgreSQL
    database named `keep` on the server (created when missing). Nothing is removed afterwards."""
    if backend == "sqlite":
        path = Path(keep).resolve()
        yield f"sqlite:///{path}", path.exists()
        return
    admin_url = server_url or POSTGRES_URL
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        existed = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": keep}) is not None
        if not existed:
            conn.execute(text(f'CREATE DATABASE "{keep}"'))
    admin.dispose()
    yield make_url(admin_url).set(database=keep).render_as_string(hide_password=False), existed


@contextmanager
def survey_database(backend: str) -> Iterator[str]:
    """A throwaway database with the schema, the default journey and a live relationship-NPS survey."""
    with throwaway_database(backend) as url:
        db = Database(url)
        metadata.create_all(db.engine)
        with db.unit_of_work() as session:
            journeys.ensure_default_journey(session)
            template = get_template("relationship-nps").model_copy(update={"status": SurveyStatus.live})
            surveys.create_survey(session, data=template)
        db.dispose()
        yield url
