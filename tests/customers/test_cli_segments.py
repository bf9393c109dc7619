"""`cxloop segments list|show|refresh|validate` against a real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.customers import customer_data, make_segment


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db.url, monkeypatch):
        yield CliRunner()


def test_list_show_and_refresh(cli: CliRunner, db: Database) -> None:
    with db.unit_of_work() as session:
        customers.upsert_customers(
            session,
            items=[customer_data(external_id="ada", attributes={"plan": "pro"}), customer_data(external_id="bob")],
        )
        make_segment(session, "plan = pro", key="pro", name="Pro plan")
    listed = cli.invoke(app, ["segments", "list"])
    assert listed.exit_code == 0, listed.output
    assert "pro" in listed.output and "plan = pro" in listed.output
    shown = cli.invoke(app, ["segments", "show", "pro"])
    assert shown.exit_code == 0 and "ada" in shown.output and "bob" not in shown.output
    with db.unit_of_work() as session:
        customers.upsert_customers(session, items=[customer_data(external_id="bob", attributes={"plan": "pro"})])
    refreshed = cli.invoke(app, ["segments", "refresh", "pro"])
    assert refreshed.exit_code == 0 and "pro" in refreshed.output
    everything = cli.invoke(app, ["segments", "refresh"])
    assert everything.exit_code == 0, everything.output
    with db.unit_of_work() as session:
        assert customers.require_segment(session, key="pro").refreshed_at is not None
    missing = cli.invoke(app, ["segments", "show", "nope"])
    assert missing.exit_code != 0


def test_validate_prints_the_canonical_form_or_points_at_the_error(cli: CliRunner) -> None:
    ok = cli.invoke(app, ["segments", "validate", "PLAN = pro AND tenure_days > 3"])
    assert ok.exit_code == 0, ok.output
    assert "PLAN = pro and tenure > 3 days" in ok.output and "matches now: 0" in ok.output
    bad = cli.invoke(app, ["segments", "validate", "company_size > "])
    assert bad.exit_code == 1
    assert "at column 16: expected a value after '>'" in bad.output
    assert "               ^" in bad.output
