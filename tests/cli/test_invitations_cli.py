"""`cxloop invitations report` prints the fatigue report from the test database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.customers import make_customer
from tests.factories.invitations import make_invitation
from tests.invitations.conftest import live_survey


@pytest.fixture
def cli(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    survey_id = live_survey(db)
    with db.unit_of_work(write=True) as session:
        make_invitation(session, survey_id=survey_id)
        make_invitation(session, survey_id=survey_id)
        make_invitation(session, survey_id=survey_id, customer=make_customer(session), channel="sms")
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def test_the_report_counts_and_explains_suppressions(cli: CliRunner) -> None:
    table = cli.invoke(app, ["invitations", "report", "--by", "channel"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    lines = [line for line in table.output.splitlines() if "email" in line or "sms" in line]
    assert len(lines) == 2 and "no_consent 1" in next(line for line in lines if "sms" in line)
    as_json = cli.invoke(app, ["invitations", "report", "--json"])
    (whole,) = json.loads(as_json.output)
    assert (whole["invitations"], whole["pending"], whole["suppressed"]) == (3, 2, 1)
    assert whole["suppressed_by_reason"] == {"no_consent": 1}


def test_bad_options_are_named(cli: CliRunner) -> None:
    wrong = cli.invoke(app, ["invitations", "report", "--by", "colour"])
    assert wrong.exit_code == 2 and "--by" in wrong.output
    bad_date = cli.invoke(app, ["invitations", "report", "--since", "yesterday"])
    assert bad_date.exit_code == 2 and "--since" in bad_date.output
