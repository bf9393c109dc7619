"""The outcome, operations and agent analyses over HTTP (/api/v1/analytics/outcomes, /operations, /agents) and
through `cxloop analyze outcomes / operations / agents`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.analytics.test_outcome_operations import _tickets
from tests.analytics.test_outcomes import TODAY, _world
from tests.cli_database import commands_on


@pytest.fixture
def world(db: Database) -> Database:
    _tickets(db, effect=True, existing_survey=True)  # events first: the factory's segments have no real filter
    _world(db, detractor_churn=45, promoter_churn=15)
    return db


def test_the_api_answers_each_analysis(world: Database, api: TestClient) -> None:
    found = api.get("/api/v1/analytics/outcomes", params={"end": TODAY.isoformat()})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["ready"] and body["churn"][0]["ratio"]["significant"] and body["findings"]
    assert body["revenue_at_risk"]["band"] == "detractor"
    smb = api.get("/api/v1/analytics/outcomes", params={"end": TODAY.isoformat(), "segment": "smb"}).json()
    assert [row["scope_key"] for row in smb["churn"]] == ["smb"]
    ops = api.get("/api/v1/analytics/operations", params={"event": "ticket_solved", "measure": "wait_minutes"})
    assert ops.status_code == 200 and ops.json()["measures"][0]["correlation"]["significant"]
    agents = api.get("/api/v1/analytics/agents").json()
    assert {row["name"] for row in agents["agents"]} == {"Ann", "Bob"}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/analytics/outcomes", {"metric": "mood"}, "metric"),
        ("/api/v1/analytics/outcomes", {"segment": "nobody"}, "segment"),
        ("/api/v1/analytics/outcomes", {"window_days": 3}, "window_days"),
        ("/api/v1/analytics/outcomes", {"end": "yesterday"}, "end"),
        ("/api/v1/analytics/operations", {"event": "nothing"}, "event"),
        ("/api/v1/analytics/operations", {"bins": 50}, "bins"),
        ("/api/v1/analytics/agents", {"window_days": 0}, "window_days"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api: TestClient, path: str, params: dict[str, object], field: str) -> None:
    answer = api.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] in (field, f"query.{field}")


@pytest.fixture
def cli(world: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def test_the_cli_prints_tables_json_and_plain_errors(cli: CliRunner) -> None:
    shown = cli.invoke(app, ["analyze", "outcomes", "--end", TODAY.isoformat()])
    assert shown.exit_code == 0, shown.output
    assert "detractor" in shown.output and "Revenue at risk" in shown.output and "3.0x" in shown.output
    as_json = cli.invoke(app, ["analyze", "outcomes", "--end", TODAY.isoformat(), "--segment", "smb", "--json"])
    assert json.loads(as_json.output)["churn"][0]["scope_key"] == "smb"
    ops = cli.invoke(app, ["analyze", "operations", "--event", "ticket_solved"])
    assert ops.exit_code == 0 and "wait_minutes" in ops.output
    agents = cli.invoke(app, ["analyze", "agents"])
    assert agents.exit_code == 0 and "Ann" in agents.output and "Agent Ann" in agents.output
    assert "All tickets, wait: median" in agents.output
    for args, words in (
        (["analyze", "outcomes", "--segment", "nobody"], "--segment: there is no segment 'nobody'"),
        (["analyze", "outcomes", "--end", "soon"], "--end"),
        (["analyze", "operations", "--event", "nothing"], "--event"),
    ):
        failed = cli.invoke(app, args)
        assert failed.exit_code == 2 and words in " ".join(failed.output.split()), failed.output
