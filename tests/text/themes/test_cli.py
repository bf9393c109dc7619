"""`cxloop text themes ...` against a real database (both): discover, list, show, the taxonomy edits with their audit
entries, and bad input refused with a plain message and exit code 2."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxloop.audit import service as audit
from cxloop.cli import context
from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.text.themes.conftest import add_survey, store_topics, theme_of_topic


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setattr(context.console, "_width", 300)
    with commands_on(db.url, monkeypatch):
        yield CliRunner()


def run(cli: CliRunner, *args: str) -> str:
    done = cli.invoke(app, ["text", "themes", *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_the_taxonomy_from_the_command_line(cli: CliRunner, db: Database) -> None:
    assert "no themes yet" in run(cli, "list")
    add_survey(db)
    topics = store_topics(db, 30)
    assert "4 themes in 120 comments (lsa" in run(cli, "discover")
    ids = theme_of_topic(db, topics)
    listed = json.loads(run(cli, "list", "--json"))
    assert sorted(t["id"] for t in listed) == sorted(ids.values())
    table = run(cli, "list")
    assert "25.0%" in table and "n=30" in table
    shown = run(cli, "show", str(ids["billing"]))
    assert "key phrases:" in shown and "items: 30 (30 as primary theme)" in shown

    assert "Billing trouble" in run(cli, "rename", str(ids["billing"]), "Billing trouble")
    run(cli, "pin", str(ids["billing"]))
    run(cli, "hide", str(ids["staff"]))
    assert str(ids["staff"]) not in {str(t["id"]) for t in json.loads(run(cli, "list", "--json"))}
    run(cli, "hide", str(ids["staff"]), "--off")
    assert f"into {ids['staff']}" in run(cli, "merge", str(ids["app"]), "--into", str(ids["staff"]))
    assert "new theme" in run(
        cli, "split", str(ids["delivery"]), "--group", "courier, parcel", "--group", "tracking number"
    )
    assert "Refunds" in run(cli, "add-rule", "Refunds", "--phrase", "refund", "--phrase", "money back")
    again = json.loads(run(cli, "discover", "--json"))
    assert again["themes_found"] >= 3
    billing = json.loads(run(cli, "show", str(ids["billing"]), "--json"))
    assert billing["name"] == "Billing trouble" and billing["pinned"]

    with db.unit_of_work() as session:
        entries = audit.list_entries(session, target_type="theme", limit=20).items
    assert [e.action for e in reversed(entries)] == [
        "theme.discovered",
        "theme.updated",
        "theme.updated",
        "theme.updated",
        "theme.updated",
        "theme.merged",
        "theme.split",
        "theme.created",
        "theme.discovered",
    ]
    assert all(e.actor.startswith("cli:") for e in entries)


def test_bad_input_exits_with_2_and_says_why(cli: CliRunner, db: Database) -> None:
    def refused(*args: str) -> str:
        done = cli.invoke(app, ["text", "themes", *args])
        assert done.exit_code == 2, done.output
        return done.output

    assert "no theme 42" in refused("show", "42")
    assert "no theme 42" in refused("rename", "42", "x")
    assert "phrases" in refused("add-rule", "Empty", "--phrase", "  ")
    assert "name" in refused("add-rule", "  ", "--phrase", "refund")
    assert "embedder" in refused("discover", "--embedder", "gpt")
    rule = cli.invoke(app, ["text", "themes", "add-rule", "Refunds", "--phrase", "refund"])
    assert rule.exit_code == 0
    rule_id = rule.output.split()[1].rstrip(":")
    assert "theme_ids.0: a theme cannot be merged" in refused("merge", rule_id, "--into", rule_id)


def test_discover_matches_the_older_comments_and_says_how_many(cli: CliRunner, db: Database) -> None:
    add_survey(db)
    for seed in range(3):
        store_topics(db, 10, seed=seed)
    said = run(cli, "discover", "--limit", "40")
    assert "4 themes in 40 comments (lsa" in said and "80 older comments matched to them" in said
    assert all(t["volume"] == 30 for t in json.loads(run(cli, "list", "--json")))
