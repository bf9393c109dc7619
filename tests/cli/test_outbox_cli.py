"""`cxloop outbox status|retry|replay` on the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.jobs.dead_letters import make_dead_letter, statuses


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def test_status_lists_dead_letters_and_retry_and_replay_put_them_back(cli: CliRunner, db: Database) -> None:
    event_id, delivery_id = make_dead_letter(db)
    shown = cli.invoke(app, ["outbox", "status"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "collection.note_responses_received" in shown.output and "partner API is down" in shown.output
    assert "events not yet relayed: 1" in shown.output
    retried = cli.invoke(app, ["outbox", "retry", str(delivery_id)])
    assert retried.exit_code == 0 and "1 dead deliveries" in retried.output
    assert statuses(db) == [("pending", 0)]
    replayed = cli.invoke(app, ["outbox", "replay", "--name", "response.received", "--since", "2020-01-01"])
    assert replayed.exit_code == 0 and "1 events" in replayed.output, replayed.output
    assert cli.invoke(app, ["outbox", "replay", str(event_id)]).exit_code == 0
    refused = cli.invoke(app, ["outbox", "replay"])
    assert refused.exit_code == 1
