"""`cxloop audit` and the entries CLI commands leave (`cli:<os user>`)."""

from __future__ import annotations

import csv
import getpass
import io
import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.cli_database import commands_on


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def _json(cli: CliRunner, *args: str) -> list[dict[str, object]]:
    shown = cli.invoke(app, ["audit", "--format", "json", *args])
    assert shown.exit_code == 0, shown.output
    entries: list[dict[str, object]] = json.loads(shown.stdout)
    return entries


def test_key_commands_and_exports_are_recorded_as_the_os_user(cli: CliRunner, db: Database) -> None:
    first = cli.invoke(app, ["api-key", "create", "--name", "nightly", "--role", "agent"])
    assert first.exit_code == 0, first.output
    plain = first.stdout.strip().splitlines()[-1]
    assert cli.invoke(app, ["api-key", "create", "--name", "nightly", "--replace"]).exit_code == 0
    assert cli.invoke(app, ["api-key", "revoke", "2"]).exit_code == 0
    assert cli.invoke(app, ["export", "customers"]).exit_code == 0
    entries = _json(cli)
    assert [e["action"] for e in entries] == [
        "data.exported",
        "api_key.revoked",
        "api_key.replaced",
        "api_key.created",
        "api_key.created",
    ]
    assert {e["actor"] for e in entries} == {f"cli:{getpass.getuser()}"}
    assert entries[0]["target_id"] == "customers" and entries[0]["changes"]["rows"] == 0  # type: ignore[index]
    assert entries[2]["changes"] == {"name": "nightly", "replaced_by": 2}
    assert plain not in json.dumps(entries)


def test_filters_and_csv(cli: CliRunner) -> None:
    cli.invoke(app, ["api-key", "create", "--name", "a"])
    cli.invoke(app, ["user", "create", "--email", "ann@example.com", "--role", "analyst"])
    assert [e["action"] for e in _json(cli, "--action", "user.created")] == ["user.created"]
    assert _json(cli, "--since", "2999-01-01") == []
    shown = cli.invoke(app, ["audit", "--format", "csv", "--limit", "1"])
    rows = list(csv.DictReader(io.StringIO(shown.stdout)))
    assert len(rows) == 1 and rows[0]["action"] == "user.created" and rows[0]["target_type"] == "user"
    table = cli.invoke(app, ["audit"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "api_key.created" in table.output
    bad = cli.invoke(app, ["audit", "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since" in bad.output
    unknown = cli.invoke(app, ["audit", "--action", "survey.exploded"])
    assert unknown.exit_code == 2
