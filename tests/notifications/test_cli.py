"""`cxloop webhooks` on the test database, against a real local receiver."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.notifications.conftest import destination
from tests.notifications.receiver import Receiver, Reply


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def _run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, ["webhooks", *args], env={"COLUMNS": "250"})
    assert result.exit_code == code, result.output
    return result.output


def test_add_test_list_and_remove(cli: CliRunner, db: Database, receiver: Receiver) -> None:
    added = _run(cli, "add", receiver.url, "--events", "feedback.received,case.created")
    secret = re.search(r"whsec_\S+", added)
    assert secret and "destination 1: webhook" in added
    tested = _run(cli, "test", "1")
    assert re.search(r"msg_\w+ delivered \(HTTP 200\)", tested)
    got = receiver.requests[0]
    assert Webhook(secret.group()).verify(got.body, got.headers)["type"] == "webhook.test"
    listed = _run(cli, "list")
    assert receiver.url in listed and "case.created, feedback.received" in listed
    assert "whsec_" not in listed
    assert "webhook.test" in _run(cli, "messages")
    _run(cli, "remove", "1")
    assert receiver.url not in _run(cli, "list")


def test_a_failing_test_says_why_and_resume_and_retry_answer(cli: CliRunner, db: Database, receiver: Receiver) -> None:
    receiver.script = [Reply(500, b"nope")]
    _run(cli, "add", receiver.url, "--kind", "slack")
    failed = cli.invoke(app, ["webhooks", "test", "1"])
    assert failed.exit_code == 1 and "HTTP 500: nope" in failed.output
    assert destination(db, 1).failures_in_a_row == 1
    assert "1 messages waiting go now" in _run(cli, "resume", "1")
    assert destination(db, 1).failures_in_a_row == 0
    assert "0 dead messages" in _run(cli, "retry")
    refused = _run(cli, "add", "https://example.com", "--events", "case.opened", code=1)
    assert "events" in refused and "unknown event(s) case.opened" in refused
