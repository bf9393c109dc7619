"""`cxloop demo` on a real database: builds once, and `--if-empty` leaves a non-empty database alone."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.cli import demo as demo_command
from cxloop.cli.main import app, main
from cxloop.core.errors import Conflict
from cxloop.customers import service as customers
from cxloop.demo import builder
from cxloop.storage.database import Database
from tests.cli_database import commands_on


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with commands_on(db.url, monkeypatch):
        yield


def _customer_count(db: Database) -> int:
    with db.unit_of_work() as session:
        return customers.list_customers(session, limit=1).total


def test_demo_builds_then_if_empty_does_nothing(db: Database, cli_env: None) -> None:
    runner = CliRunner()
    args = ["demo", "--customers", "30", "--seed", "4", "--today", "2025-06-01", "--if-empty"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Demo built (seed 4)" in first.output
    assert "segment 'smb'" in first.output
    assert _customer_count(db) == 30
    with db.unit_of_work() as session:
        before = customers.list_events(session, limit=1).total
    second = runner.invoke(app, [*args[:-1], "--customers", "50", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "already holds customers" in second.output
    assert _customer_count(db) == 30
    with db.unit_of_work() as session:
        assert customers.list_events(session, limit=1).total == before
    third = runner.invoke(app, args[:-1])  # without --if-empty a non-empty database is refused
    assert isinstance(third.exception, Conflict)
    assert _customer_count(db) == 30


def test_bad_sizes_exit_with_a_plain_error(
    db: Database, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["cxloop", "demo", "--customers", "2"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    assert "customers: must be between 10 and 200000" in " ".join(capsys.readouterr().err.split())
    assert _customer_count(db) == 0


def test_cli_defaults_match_the_builder() -> None:
    assert demo_command.DEFAULT_SEED == builder.DEFAULT_SEED
    assert demo_command.DEFAULT_CUSTOMERS == builder.DEFAULT_CUSTOMERS
    assert demo_command.DEFAULT_MONTHS == builder.DEFAULT_MONTHS
