"""`cxloop users first-admin` (what `make run` calls): a working sign-in for the web app on every run."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.errors import InvalidCredentials
from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.cli_database import commands_on

_SAID = re.compile(r"Sign in as (\S+) with password (\S+)")


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def _run(cli: CliRunner, *args: str) -> tuple[str, str, str]:
    done = cli.invoke(app, ["users", "first-admin", *args])
    assert done.exit_code == 0, done.output
    found = _SAID.search(done.stdout)
    assert found, done.stdout
    return found.group(1), found.group(2), done.stdout


def test_it_creates_the_admin_then_replaces_the_password_on_each_run(cli: CliRunner, db: Database) -> None:
    email, first, said = _run(cli, "--url", "http://127.0.0.1:8000/")
    assert email == "admin@example.com" and "Web app: http://127.0.0.1:8000/" in said and len(first) >= 12
    again, second, _ = _run(cli)
    assert again == email and second != first
    with db.unit_of_work() as session:
        user = access.authenticate_user(session, email=email, password=second)
        assert user.role == Role.admin
        with pytest.raises(InvalidCredentials):
            access.authenticate_user(session, email=email, password=first)
        assert [u.email for u in access.list_users(session)] == [email]
