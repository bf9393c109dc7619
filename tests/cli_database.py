"""`cxloop` commands run in-process (typer's CliRunner) against a test database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cxloop.cli import context


@contextmanager
def commands_on(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's settings and database built afresh for `database_url` inside the block, disposed after it."""
    monkeypatch.setenv("CXLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("CXLOOP_ENVIRONMENT", "test")  # unset, a PostgreSQL database counts as production
    context.settings.cache_clear()
    context.database.cache_clear()
    try:
        yield
    finally:
        if context.database.cache_info().currsize:  # a command built it
            context.database().dispose()
        context.settings.cache_clear()
        context.database.cache_clear()
