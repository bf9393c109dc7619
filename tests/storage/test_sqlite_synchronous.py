"""CXLOOP_SQLITE_SYNCHRONOUS is in effect on every connection the app and the CLI open; the worker builds its
database with the same `database_for`. SQLite only: PostgreSQL's durability is its own `synchronous_commit`
(docs/deployment.md)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from cxloop.app import create_app
from cxloop.cli import context
from cxloop.core.config import Settings
from cxloop.storage.database import Database, database_for

LEVELS = {"normal": 1, "full": 2}  # what PRAGMA synchronous reads back


def _levels(database: Database, connections: int = 3) -> set[int]:
    """PRAGMA synchronous on several connections open at once (each new one is configured on connect)."""
    seen: set[int] = set()
    held = [database.engine.connect() for _ in range(connections)]
    try:
        for connection in held:
            seen.add(connection.execute(text("PRAGMA synchronous")).scalar_one())
    finally:
        for connection in held:
            connection.close()
    return seen


@pytest.mark.parametrize("level", list(LEVELS))
def test_the_setting_reaches_every_connection(tmp_path: Path, level: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "data", sqlite_synchronous=level)  # type: ignore[arg-type]
    built = database_for(settings)
    app = create_app(settings)
    try:
        assert _levels(built) == _levels(app.state.database) == {LEVELS[level]}
        in_thread: list[set[int]] = []  # the writer thread and the thread pool open connections of their own
        thread = threading.Thread(target=lambda: in_thread.append(_levels(app.state.database, 1)))
        thread.start()
        thread.join()
        assert in_thread == [{LEVELS[level]}]
    finally:
        built.dispose()
        app.state.database.dispose()

    monkeypatch.setenv("CXLOOP_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("CXLOOP_SQLITE_SYNCHRONOUS", level.upper() if level == "full" else level)
    context.settings.cache_clear()
    context.database.cache_clear()
    try:
        assert _levels(context.database()) == {LEVELS[level]}
    finally:
        context.database().dispose()
        context.settings.cache_clear()
        context.database.cache_clear()


def test_the_default_is_full() -> None:
    assert Settings(environment="test", _env_file=None).sqlite_synchronous == "full"  # type: ignore[call-arg]
    assert Database("sqlite://").sqlite_synchronous == "normal"  # tests and tools that build one directly
