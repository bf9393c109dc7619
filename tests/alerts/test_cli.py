"""`cxloop alerts rules list|try` against a real database (both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.alerts import service as alerts
from cxloop.alerts.schemas import RuleCreate
from cxloop.cli import context
from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.alerts.conftest import add_rule, add_survey, store_responses
from tests.cli_database import commands_on


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setattr(context.console, "_width", 300)
    with commands_on(db.url, monkeypatch):
        yield CliRunner()


def test_list_and_try(cli: CliRunner, db: Database) -> None:
    assert "no alert rules" in cli.invoke(app, ["alerts", "rules", "list"]).output
    add_survey(db)
    store_responses(db, {"nps": 1}, {"nps": 5}, {"nps": 9})
    rule = add_rule(db, {"field": "nps", "op": "<=", "value": 6})
    listed = cli.invoke(app, ["alerts", "rules", "list"])
    assert listed.exit_code == 0, listed.output
    assert "nps <= 6" in listed.output and "notify" in listed.output
    tried = cli.invoke(app, ["alerts", "rules", "try", str(rule), "--days", "7"])
    assert tried.exit_code == 0, tried.output
    assert "would have fired 2 times in the last 7 days (2 responses, 0 feedback items; 3 examined)" in tried.output
    missing = cli.invoke(app, ["alerts", "rules", "try", str(rule + 99)])
    assert missing.exit_code == 1 and f"no alert rule {rule + 99}" in missing.output


def test_an_anomaly_rule_is_listed_with_its_source_and_tried_on_anomalies(cli: CliRunner, db: Database) -> None:
    data = RuleCreate.model_validate(
        {
            "name": "NPS drops",
            "source": "anomaly",
            "conditions": [{"field": "direction", "op": "=", "value": "drop"}],
            "actions": [{"kind": "notify"}],
        }
    )
    with db.unit_of_work(write=True) as session:
        rule = alerts.create_rule(session, data=data).id
    listed = cli.invoke(app, ["alerts", "rules", "list"])
    assert listed.exit_code == 0, listed.output
    assert "anomaly" in listed.output and "direction = drop" in listed.output
    tried = cli.invoke(app, ["alerts", "rules", "try", str(rule)])
    assert tried.exit_code == 0, tried.output
    assert "would have fired 0 times in the last 30 days (0 anomalies; 0 examined)" in tried.output
