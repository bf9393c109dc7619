"""`cxloop import reviews FILE`: CSV and JSON Lines, bad rows reported by line, re-runs store nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from cxloop.cli.main import app
from cxloop.collection.models import FeedbackItem
from cxloop.customers.models import Customer
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.customers import make_customer

Cli = Callable[..., Result]


@pytest.fixture
def cli(db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """Run `cxloop ...` in-process against the test database."""
    with commands_on(db_url, monkeypatch):
        runner = CliRunner()
        yield lambda *args: runner.invoke(app, [str(a) for a in args])


def _stored(db: Database) -> list[tuple[str, int | None, str | None]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(FeedbackItem.external_id, FeedbackItem.rating, Customer.external_id)
            .outerjoin(Customer, Customer.id == FeedbackItem.customer_id)
            .order_by(FeedbackItem.external_id)
        ).all()
        return [(str(e), r, c) for e, r, c in rows]


def test_a_csv_import_keeps_good_rows_and_reports_bad_ones_by_line(cli: Cli, db: Database, tmp_path: Path) -> None:
    with db.unit_of_work() as session:
        make_customer(session, external_id="ann", attributes={"handle_trustpilot": "Ann S"})
    path = tmp_path / "reviews.csv"
    path.write_text(
        "source,external_id,kind,rating,rating_scale,author,text,posted_at,url\n"
        "trustpilot,tp-1,review,5,,Ann S,Great service,2026-10-01T10:00:00Z,https://trustpilot.com/r/1\n"  # line 2
        'trustpilot,tp-2,review,9,,Bob,"Two lines\nof text",2026-10-02T10:00:00Z,\n'  # lines 3-4: rating > 5
        "trustpilot,tp-3,review,8,10,Cara,Good,2026-10-03T10:00:00Z,\n"  # line 5
        "trustpilot,tp-1,review,5,,Ann S,Great service (resent),2026-10-01T10:00:00Z,\n"  # line 6: duplicate
        "twitter,tw-1,tweet,,,@dan,Meh,2026-10-04T10:00:00Z,\n"  # line 7: unknown kind
    )
    errors = tmp_path / "rejected.csv"

    result = cli("import", "reviews", path, "--errors", errors)

    assert result.exit_code == 1, result.output
    assert "line 3: rating: must be a whole number from 1 to 5" in result.stderr
    assert "line 7: kind: Input should be 'review' or 'social_post'" in result.stderr
    assert "reviews: imported 2, duplicates 1, rejected 2" in result.stderr
    assert _stored(db) == [("tp-1", 5, "ann"), ("tp-3", 4, None)]
    assert '"_line","_reason"' in errors.read_text().splitlines()[0]

    rerun = cli("import", "reviews", path)
    assert "imported 0, duplicates 3, rejected 2" in rerun.stderr
    assert len(_stored(db)) == 2


def test_a_jsonl_import_reports_unreadable_and_invalid_lines(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"source": "twitter", "external_id": "1", "kind": "social_post", "text": "Love it", "author": "@a"}\n'
        "{not json\n"
        '{"source": "twitter", "external_id": "2", "text": "x", "rating": 0}\n'
        "\n"
        '{"source": "g2", "external_id": "3", "text": "Solid", "rating": 4, "author_email": "E@x.io"}\n'
    )

    result = cli("import", "reviews", path)

    assert result.exit_code == 1, result.output
    assert "line 2: line: not valid JSON" in result.stderr
    assert "line 3: rating: must be a whole number from 1 to 5" in result.stderr
    assert "imported 2, duplicates 0, rejected 2" in result.stderr
    assert [e for e, _, _ in _stored(db)] == ["1", "3"]


def test_an_unknown_column_stops_the_import_before_any_row(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text("source,external_id,body\ntrustpilot,1,hello\n")

    result = cli("import", "reviews", path)

    assert result.exit_code == 2
    assert "unknown column 'body'" in result.stderr and "missing column 'text'" in result.stderr
    assert _stored(db) == []
