"""`cxloop contact-policies`: apply enterprise and SMB policies from a JSON file, list them, delete one; bad files
change nothing and name each problem."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.governance import scoped_policies
from cxloop.storage.database import Database
from tests.cli_database import commands_on

POLICIES = [
    {"key": "enterprise", "segment_filter": "account.plan = enterprise", "priority": 10, "window_days": 60},
    {"key": "smb", "segment_filter": "account.plan = smb", "priority": 20, "window_days": 30},
    {"key": "default", "channel_weights": {"widget": 0.5}},
]


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def _keys(db: Database) -> list[tuple[str, int]]:
    with db.unit_of_work() as session:
        return [(p.key, p.window_days) for p in scoped_policies.list_policies(session)]


def test_policies_are_applied_from_a_file_listed_and_deleted(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "policies.json"
    path.write_text(json.dumps(POLICIES))
    applied = cli.invoke(app, ["contact-policies", "apply", str(path)], env={"COLUMNS": "250"})
    assert applied.exit_code == 0, applied.output
    assert "applied: enterprise, smb, default" in applied.output
    assert _keys(db) == [("enterprise", 60), ("smb", 30), ("default", 14)]
    with db.unit_of_work() as session:
        assert scoped_policies.require_policy(session, "default").channel_weights == {"widget": 0.5}

    path.write_text(json.dumps({"key": "smb", "window_days": 21}))  # applying again changes by key
    assert cli.invoke(app, ["contact-policies", "apply", str(path)]).exit_code == 0
    listed = cli.invoke(app, ["contact-policies", "list"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0 and "widget=0.5" in listed.output and "1 / 21" in listed.output

    assert cli.invoke(app, ["contact-policies", "delete", "enterprise"]).exit_code == 0
    assert _keys(db) == [("smb", 21), ("default", 14)]
    refused = cli.invoke(app, ["contact-policies", "delete", "default"])
    assert refused.exit_code == 1 and "cannot be deleted" in refused.output


def test_a_bad_file_changes_nothing_and_names_every_problem(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "policies.json"
    path.write_text(
        json.dumps(
            [
                {"key": "ok", "segment_filter": "plan = a"},
                {"key": "bad", "segment_filter": "plan = = a", "window_days": 0},
                "not an object",
            ]
        )
    )
    result = cli.invoke(app, ["contact-policies", "apply", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "[1].window_days" in result.output and "[2]" in result.output
    assert _keys(db) == [("default", 14)]  # the valid first one was not kept either
    path.write_text("{not json")
    assert cli.invoke(app, ["contact-policies", "apply", str(path)]).exit_code == 2
