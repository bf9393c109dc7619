"""`cxloop analyze churn train|show|customers` against the test database, the clock pinned to the planted history."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.core.clock import pinned
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.churn import NOW, plant_world


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def test_too_little_history_explains_and_exits_2(cli: CliRunner) -> None:
    result = cli.invoke(app, ["analyze", "churn", "train"])
    assert result.exit_code == 2, result.output
    assert "No churn model" in result.output and "at least 30" in result.output
    shown = cli.invoke(app, ["analyze", "churn", "show", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["status"] == "not_trained"
    listed = cli.invoke(app, ["analyze", "churn", "customers"])
    assert listed.exit_code == 0 and "no churn model yet" in listed.output


def test_train_show_and_customers(cli: CliRunner, db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        plant_world(session, customers=600)
    with pinned(NOW):
        trained = cli.invoke(app, ["analyze", "churn", "train"])
    assert trained.exit_code == 0, trained.output
    assert "AUC" in trained.output and "Calibration" in trained.output and "customers scored" in trained.output
    shown = cli.invoke(app, ["analyze", "churn", "show", "--json"])
    assert json.loads(shown.output)["status"] == "trained"
    listed = cli.invoke(app, ["analyze", "churn", "customers", "--limit", "3", "--json"])
    assert len(json.loads(listed.output)["items"]) == 3
    table = cli.invoke(app, ["analyze", "churn", "customers", "--limit", "3"])
    assert "Churn risk within 90 days" in table.output
    refused = cli.invoke(app, ["analyze", "churn", "train", "--horizon-days", "5"])
    assert refused.exit_code == 2 and "--horizon-days" in refused.output
