"""`cxloop privacy export|erase|erasures` and `cxloop retention list|set|run|unset` against a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.privacy.world import EMAIL, EXTERNAL_ID, NAME, build_world


@pytest.fixture
def cli(db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CXLOOP_DATA_DIR", str(settings.data_dir))
    with commands_on(db.url, monkeypatch):
        yield CliRunner()


def test_export_then_erase_after_confirmation(cli: CliRunner, db: Database, settings: Settings) -> None:
    world = build_world(db, settings.data_dir)
    exported = cli.invoke(app, ["privacy", "export", "--customer", EMAIL])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["customer_id"] == world.zelda_id
    text = cli.invoke(app, ["privacy", "export", "--customer", EXTERNAL_ID, "--format", "text"])
    assert text.exit_code == 0 and "responses (feedback): 3" in text.output

    declined = cli.invoke(app, ["privacy", "erase", "--customer", EXTERNAL_ID], input="n\n")
    assert declined.exit_code == 1
    assert cli.invoke(app, ["privacy", "export", "--customer", EXTERNAL_ID]).exit_code == 0  # still there

    erased = cli.invoke(app, ["privacy", "erase", "--customer", EXTERNAL_ID], input="y\n")
    assert erased.exit_code == 0, erased.output
    assert "responses" in erased.output and NAME not in erased.output
    gone = cli.invoke(app, ["privacy", "export", "--customer", EXTERNAL_ID])
    assert gone.exit_code == 1 and "no such customer" in str(gone.exception)  # main() prints it
    listed = cli.invoke(app, ["privacy", "erasures"])
    assert listed.exit_code == 0 and "cli:" in listed.output


def test_retention_commands(cli: CliRunner, db: Database, settings: Settings) -> None:
    build_world(db, settings.data_dir)
    assert "no retention policies" in cli.invoke(app, ["retention", "run"]).output
    set_ = cli.invoke(app, ["retention", "set", "responses", "--keep-days", "30", "--action", "delete"])
    assert set_.exit_code == 0, set_.output
    bad = cli.invoke(app, ["retention", "set", "invitations", "--keep-days", "30", "--action", "anonymise"])
    assert bad.exit_code == 1 and getattr(bad.exception, "errors", [None])[0].field == "action"
    listed = cli.invoke(app, ["retention", "list"])
    assert listed.exit_code == 0 and "forever" in listed.output
    dry = cli.invoke(app, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0 and "responses: would touch 7 rows" in dry.output
    ran = cli.invoke(app, ["retention", "run"])
    assert ran.exit_code == 0 and "responses: touched 7 rows" in ran.output
    assert "responses: would touch 0 rows" in cli.invoke(app, ["retention", "run", "--dry-run"]).output
    assert cli.invoke(app, ["retention", "unset", "responses"]).exit_code == 0
