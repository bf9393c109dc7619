"""`cxloop export ...`: streamed in batches, filtered by time, and importable again (round trips)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import delete, select

from cxloop.collection import service as collection
from cxloop.collection.models import FeedbackItem, Response
from cxloop.collection.schemas import FeedbackCreate, ResponseCreate
from cxloop.customers import service as customers
from cxloop.customers.models import Customer
from cxloop.customers.schemas import CustomerUpsert
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from tests.cli import test_import
from tests.cli.test_import import Cli, count
from tests.factories.surveys import every_kind_definition, make_survey

cli = test_import.cli  # the same fixture: `cxloop ...` in-process on the test database


@pytest.fixture
def surveys(db: Database) -> list[Survey]:
    return [make_survey(db), make_survey(db, key="every", definition=every_kind_definition())]


def _responses() -> list[ResponseCreate]:
    return [
        ResponseCreate(
            survey="rnps",
            nps=3,
            comment='Too slow,\nand "pricey"',
            customer_external_id="c1",
            channel="email",
            touchpoint="relationship",
            submitted_at=datetime(2024, 1, 1, 9, tzinfo=UTC),
            locale="de",
            metadata={"order": 7},
            idempotency_key="given-key",
        ),
        ResponseCreate(survey="rnps", answers={"q1": 10, "why-high": "ünïcode ✓", "plan": "pro", "speed": 10}),
        ResponseCreate(
            survey="every",
            answers={"sat": 4, "effort": 6, "topics": ["ux", "price"], "size": "m", "notes": "ok"},
            submitted_at=datetime(2024, 3, 1, tzinfo=UTC),
            is_partial=True,
        ),
        ResponseCreate(survey="every", answers={"rec": 0, "stars": 2}, submitted_at=datetime(2024, 2, 1, tzinfo=UTC)),
    ]


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_responses_round_trip(cli: Cli, db: Database, surveys: list[Survey], tmp_path: Path, file_format: str) -> None:
    with db.unit_of_work() as session:
        collection.record_responses(session, items=_responses())
    first, second = tmp_path / f"first.{file_format}", tmp_path / f"second.{file_format}"
    exported = cli("export", "responses", "--format", file_format, "--output", first, "--batch-size", "3")
    assert exported.exit_code == 0, exported.output
    assert "exported 4 responses" in exported.stderr
    with db.unit_of_work() as session:
        session.execute(delete(Response))
    imported = cli("import", "responses", first)
    assert imported.exit_code == 0, imported.stderr
    assert "imported 4, duplicates 0, rejected 0" in imported.stderr
    assert cli("export", "responses", "--format", file_format, "--output", second).exit_code == 0
    assert second.read_text() == first.read_text()
    # the keys written for rows that had none make a second import store nothing
    assert "imported 0, duplicates 4" in cli("import", "responses", first).stderr


def test_responses_csv_to_stdout_with_answer_columns(cli: Cli, db: Database, surveys: list[Survey]) -> None:
    with db.unit_of_work() as session:
        collection.record_responses(session, items=_responses())
    result = cli("export", "responses")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4
    assert rows[0]["comment"] == 'Too slow,\nand "pricey"' and rows[0]["response_id"] == "given-key"
    assert rows[0]["answer.why-low"] == rows[0]["comment"] and rows[0]["metadata"] == '{"order":7}'
    assert rows[2]["answer.topics"] == "ux|price" and rows[2]["is_partial"] == "true"
    assert rows[1]["response_id"].startswith("cxloop-response-")


def test_since_and_until_filter_by_submission(cli: Cli, db: Database, surveys: list[Survey]) -> None:
    with db.unit_of_work() as session:
        collection.record_responses(session, items=_responses())
    result = cli("export", "responses", "--format", "jsonl", "--since", "2024-01-15", "--until", "2024-03-01")
    assert [orjson.loads(line)["answers"] for line in result.stdout.splitlines()] == [{"rec": 0, "stars": 2}]
    assert cli("export", "responses", "--since", "last week").exit_code == 2


def test_feedback_round_trip(cli: Cli, db: Database, tmp_path: Path) -> None:
    items = [
        FeedbackCreate(kind="review", source="g2", external_id="a", channel="review", text="Nice", rating=5),
        FeedbackCreate(
            kind="chat_transcript",
            source="intercom",
            channel="chat",
            text="Agent: hi\nCustomer: broken",
            author_email="x@example.com",
            metadata={"lang": "en"},
            posted_at=datetime(2024, 1, 2, tzinfo=UTC),
        ),
    ]
    with db.unit_of_work() as session:
        collection.record_feedback(session, items=items)
    path = tmp_path / "feedback.csv"
    assert cli("export", "feedback", "-o", path).exit_code == 0
    with db.unit_of_work() as session:
        session.execute(delete(FeedbackItem))
    assert "imported 2, duplicates 0, rejected 0" in cli("import", "feedback", path).stderr
    again = tmp_path / "again.csv"
    assert cli("export", "feedback", "-o", again).exit_code == 0
    assert again.read_text() == path.read_text()


def test_customers_round_trip(cli: Cli, db: Database, tmp_path: Path) -> None:
    with db.unit_of_work() as session:
        customers.upsert_customers(
            session,
            items=[
                CustomerUpsert(external_id="c1", email="a@example.com", stage="usage", attributes={"plan": "pro"}),
                CustomerUpsert(external_id="c2", name="Bo", timezone="Europe/Berlin", attributes={"seats": "4"}),
            ],
        )
    path = tmp_path / "customers.csv"
    exported = cli("export", "customers", "-o", path)
    assert exported.exit_code == 0
    header = path.read_text().splitlines()[0]
    assert header.endswith('"stage","attr.plan","attr.seats"')
    with db.unit_of_work() as session:
        session.execute(delete(Customer))
    assert "imported 2" in cli("import", "customers", path).stderr
    jsonl = cli("export", "customers", "--format", "jsonl").stdout.splitlines()
    assert orjson.loads(jsonl[0]) == {
        "external_id": "c1",
        "email": "a@example.com",
        "phone": None,
        "name": None,
        "locale": None,
        "timezone": None,
        "attributes": {"plan": "pro"},
        "account_external_id": None,
        "signup_date": None,
        "stage": "usage",
    }
    assert count(db, Customer) == 2


# Feedback text is stripped of surrounding whitespace, so the tab and CR cases are in tests/core/test_csv_cells.py.
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "'=kept"]


def test_formulas_are_neutralised_and_import_back_unchanged(cli: Cli, db: Database, tmp_path: Path) -> None:
    items = [
        FeedbackCreate(kind="review", source="web", external_id=str(i), channel="web", text=text, rating=1)
        for i, text in enumerate(HOSTILE)
    ]
    with db.unit_of_work() as session:
        collection.record_feedback(session, items=items)
        customers.upsert_customers(
            session, items=[CustomerUpsert(external_id="=cmd", name="@Bo", attributes={"n": -5, "t": "-5"})]
        )
    path, again = tmp_path / "feedback.csv", tmp_path / "again.csv"
    assert cli("export", "feedback", "-o", path).exit_code == 0
    cells = [row["text"] for row in csv.DictReader(io.StringIO(path.read_text(), newline=""))]
    assert cells == ["'" + text for text in HOSTILE]
    with db.unit_of_work() as session:
        session.execute(delete(FeedbackItem))
    assert "imported 5, duplicates 0, rejected 0" in cli("import", "feedback", path).stderr
    with db.unit_of_work() as session:
        stored = session.scalars(select(FeedbackItem.text).order_by(FeedbackItem.external_id)).all()
    assert stored == HOSTILE
    assert cli("export", "feedback", "-o", again).exit_code == 0
    assert again.read_text() == path.read_text()

    exported = cli("export", "customers").stdout
    assert exported.splitlines()[1].startswith('"\'=cmd",')
    assert exported.splitlines()[1].endswith(',-5,"\'-5"')  # the number stays a number, the text is escaped
    with db.unit_of_work() as session:
        session.execute(delete(Customer))
    (tmp_path / "customers.csv").write_text(exported)
    assert "imported 1" in cli("import", "customers", tmp_path / "customers.csv").stderr
    with db.unit_of_work() as session:
        bo = session.scalars(select(Customer)).one()
    assert (bo.external_id, bo.name, bo.attributes["t"]) == ("=cmd", "@Bo", "-5")


def test_no_formula_escape_writes_and_reads_cells_verbatim(cli: Cli, db: Database, tmp_path: Path) -> None:
    with db.unit_of_work() as session:
        collection.record_feedback(
            session, items=[FeedbackCreate(kind="review", source="web", external_id="a", channel="web", text="'=x")]
        )
    path = tmp_path / "feedback.csv"
    assert cli("export", "feedback", "-o", path, "--no-formula-escape").exit_code == 0
    assert path.read_text().splitlines()[1].startswith("review,web,a,web,'=x,")
    with db.unit_of_work() as session:
        session.execute(delete(FeedbackItem))
    assert "imported 1" in cli("import", "feedback", path, "--no-formula-escape").stderr
    with db.unit_of_work() as session:
        assert session.scalars(select(FeedbackItem.text)).one() == "'=x"
