"""`cxloop import ...`: good rows kept, bad rows reported by physical line, exit codes, batches, re-runs."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from cxloop.analytics import rollups
from cxloop.cli.main import app
from cxloop.collection.models import FeedbackItem, Response
from cxloop.customers.models import Customer, Event
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from tests.cli_database import commands_on
from tests.factories.customers import make_customer, make_segment
from tests.factories.responses import snapshot
from tests.factories.surveys import make_survey

Cli = Callable[..., Result]


@pytest.fixture
def cli(db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """Run `cxloop ...` in-process against the test database."""
    with commands_on(db_url, monkeypatch):
        runner = CliRunner()
        yield lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def survey(db: Database) -> Survey:
    return make_survey(db)


def count(db: Database, model: type[object]) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


HEADER = "survey,customer_id,channel,submitted_at,nps,comment,response_id,answer.plan\n"


def test_bad_rows_are_reported_by_physical_line_and_good_rows_kept(
    cli: Cli, db: Database, survey: Survey, tmp_path: Path
) -> None:
    path = tmp_path / "responses.csv"
    path.write_text(
        HEADER
        + "rnps,c1,email,2024-01-01T10:00:00Z,9,fine,r1,pro\n"  # line 2
        + 'rnps,c2,email,2024-01-02T10:00:00Z,3,"first line\nsecond, line\nthird ""line""",r2,free\n'  # lines 3-5
        + "rnps,c3,fax,2024-01-03T10:00:00Z,12,,r3,gold\n"  # line 6: bad
        + "\n"  # line 7: blank
        + "rnps,c4,sms,not-a-date,7,,r4,\n"  # line 8: bad
        + "rnps,c5,sms,2024-01-05T10:00:00Z,10,great,r5,\n"  # line 9
    )
    errors = tmp_path / "rejected.csv"
    result = cli("import", "responses", path, "--errors", errors)
    assert result.exit_code == 1, result.output
    assert "line 6: channel: must be one of:" in result.stderr
    assert "nps: must be a whole number" in result.stderr and "answer.plan: must be one of: free, pro" in result.stderr
    assert "line 8: submitted_at: must be an ISO-8601 date-time" in result.stderr
    assert "imported 3, duplicates 0, rejected 2" in result.stderr
    with db.unit_of_work() as session:
        comments = session.scalars(select(Response.comment).order_by(Response.id)).all()
    assert comments == ["fine", 'first line\nsecond, line\nthird "line"', "great"]
    with errors.open(newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["_line"] for r in rejected] == ["6", "8"]
    assert rejected[0]["customer_id"] == "c3" and "channel" in rejected[0]["_reason"]


def test_a_bad_row_lists_each_bad_field_once_without_follow_on_errors(
    cli: Cli, db: Database, survey: Survey, tmp_path: Path
) -> None:
    path = tmp_path / "responses.csv"
    # The comment goes to the follow-up question the score decides; with the score bad, only the score is wrong.
    path.write_text(HEADER + "rnps,c1,fax,2024-01-03T10:00:00Z,12,too slow,r1,gold\n")
    result = cli("import", "responses", path)
    assert result.exit_code == 1
    reported = [line for line in result.stderr.splitlines() if line.lstrip().startswith("line 2")]
    assert len(reported) == 1, result.stderr
    for field in ("channel: must be one of", "nps: must be a whole number", "answer.plan: must be one of"):
        assert reported[0].count(field) == 1, reported[0]
    assert "comment" not in reported[0]


def test_a_rerun_stores_nothing_twice(cli: Cli, db: Database, survey: Survey, tmp_path: Path) -> None:
    path = tmp_path / "responses.csv"
    path.write_text(HEADER + "".join(f"rnps,c{i},api,2024-02-0{i}T00:00:00Z,{i},,id-{i},\n" for i in range(1, 8)))
    first = cli("import", "responses", path, "--batch-size", "3")
    assert first.exit_code == 0 and "imported 7, duplicates 0, rejected 0" in first.stderr
    again = cli("import", "responses", path)
    assert again.exit_code == 0 and "imported 0, duplicates 7" in again.stderr
    assert count(db, Response) == 7


def test_finished_batches_survive_a_failure_midway(cli: Cli, db: Database, survey: Survey, tmp_path: Path) -> None:
    rows = "".join(f"rnps,c{i},api,2024-02-01T00:00:00Z,5,,id-{i},\n" for i in range(6))
    path = tmp_path / "responses.csv"
    path.write_bytes((HEADER + rows).encode() + b"rnps,c9,api,2024-02-01T00:00:00Z,5,\xff\xfe,id-9,\n")
    broken = cli("import", "responses", path, "--batch-size", "2")
    assert broken.exit_code == 2 and "line 8: the file is not UTF-8 text" in broken.stderr
    assert count(db, Response) == 6  # the three batches before the bad line were committed
    path.write_text(HEADER + rows + "rnps,c9,api,2024-02-01T00:00:00Z,5,,id-9,\n")
    fixed = cli("import", "responses", path, "--batch-size", "2")
    assert fixed.exit_code == 0 and "imported 1, duplicates 6" in fixed.stderr


def test_a_fixed_error_file_imports_as_it_is(cli: Cli, db: Database, survey: Survey, tmp_path: Path) -> None:
    path, errors = tmp_path / "in.csv", tmp_path / "rejected.csv"
    path.write_text(HEADER + "rnps,c1,api,,99,,x1,\n")
    assert cli("import", "responses", path, "--errors", errors).exit_code == 1
    errors.write_text(errors.read_text().replace(',"99",', ',"9",'))  # text cells are quoted
    redo = cli("import", "responses", errors)
    assert redo.exit_code == 0, redo.stderr
    assert count(db, Response) == 1


def test_jsonl_rows_are_response_objects(cli: Cli, db: Database, survey: Survey, tmp_path: Path) -> None:
    lines = [
        {"survey": "rnps", "nps": 9, "idempotency_key": "j1"},
        "{not json",
        [1, 2],
        {"survey": "rnps", "nps": 9, "colour": "red"},
        {"survey": "nope", "nps": 9},
        {"survey": "rnps", "answers": {"q1": 2, "why-low": "slow"}, "customer_external_id": "c"},
    ]
    path = tmp_path / "responses.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else orjson.dumps(line).decode() for line in lines) + "\n")
    result = cli("import", "responses", path)
    assert result.exit_code == 1
    assert "line 2: line: not valid JSON" in result.stderr
    assert "line 3: line: must be a JSON object" in result.stderr
    assert "line 4: colour: Extra inputs are not permitted" in result.stderr
    assert "line 5: survey: no survey with key 'nope'" in result.stderr
    assert "imported 2, duplicates 0, rejected 4" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "cannot open"),
        ("r.csv", "survey,score\nrnps,9\n", "unknown column(s): score"),
        ("r.csv", "", "the file is empty"),
        ("r.xlsx", "x", "cannot tell the format"),
        ("r.csv", 'survey,nps\n"rnps,9\n', "line 2"),
    ],
)
def test_unreadable_files_exit_2(cli: Cli, tmp_path: Path, name: str, content: str | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    result = cli("import", "responses", path)
    assert result.exit_code == 2
    assert message in result.stderr


def test_feedback_import_dedupes_on_source_and_id(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text(
        "kind,source,external_id,channel,text,rating,author_email,posted_at,meta.lang\n"
        "review,g2,a,review,Loved it,5,,2024-01-01,en\n"
        "review,g2,a,review,Loved it,5,,2024-01-01,en\n"
        "review,g2,b,review,,2,,2024-01-01,\n"
        "essay,g2,c,review,Hmm,3,,2024-01-01,\n"
    )
    result = cli("import", "feedback", path)
    assert result.exit_code == 1
    assert "line 4: text: is required" in result.stderr and "line 5: kind: must be one of" in result.stderr
    assert "imported 1, duplicates 1, rejected 2" in result.stderr
    assert "imported 0, duplicates 2" in cli("import", "feedback", path).stderr
    with db.unit_of_work() as session:
        assert session.scalars(select(FeedbackItem.meta)).all() == [{"lang": "en"}]


def test_customers_are_upserted_and_bad_references_rejected(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "external_id,email,name,stage,timezone,attr.plan\n"
        "c1,ANN@example.com,Ann,onboarding,Europe/Paris,pro\n"
        "c2,bob@example.com,Bob,nowhere,,free\n"
        "c3,not-an-email,Cy,,,\n"
        "c4,,Di,,Mars/Base,\n"
        "c5,,Ed,usage,,\n"
    )
    result = cli("import", "customers", path)
    assert result.exit_code == 1, result.output
    assert "line 3: stage: no journey stage with key 'nowhere'" in result.stderr
    assert "line 4: email:" in result.stderr and "line 5: timezone:" in result.stderr
    assert "customers: imported 2, updated 0, duplicates 0, rejected 3" in result.stderr
    path.write_text("customer_id,name,attr.plan\nc1,,enterprise\nc5,Eddie,\n")  # empty cells change nothing
    assert "imported 0, updated 2" in cli("import", "customers", path).stderr
    with db.unit_of_work() as session:
        ann = session.scalar(select(Customer).where(Customer.external_id == "c1"))
        assert ann is not None
        assert (ann.email, ann.name, ann.attributes) == ("ann@example.com", "Ann", {"plan": "enterprise"})


def test_events_import_and_rerun(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "customer_id,name,occurred_at,event_id,prop.sku\n"
        "c1,order_delivered,2024-03-01T08:00:00Z,e1,A-1\n"
        "c1,,2024-03-01T08:00:00Z,e2,\n"
        "c2,ticket_solved,2024-03-02T08:00:00Z,e3,\n"
    )
    first = cli("import", "events", path)
    assert first.exit_code == 1 and "line 3: name:" in first.stderr
    assert "imported 2, duplicates 0, rejected 1" in first.stderr
    assert "imported 0, duplicates 2" in cli("import", "events", path).stderr
    assert count(db, Event) == 2
    with db.unit_of_work() as session:
        assert session.scalars(select(Event.properties).where(Event.external_id == "e1")).one() == {"sku": "A-1"}


def test_rollups_counted_ahead_by_the_reader_equal_a_recount(
    cli: Cli, db: Database, survey: Survey, tmp_path: Path
) -> None:
    """The reader process counts each batch's rollups ahead (read_ahead.py); repeated keys within and across
    batches, a customer's stage, segments and new customers must still give exactly a full recount."""
    with db.unit_of_work() as session:
        make_customer(session, external_id="c-staged", stage="onboarding")
        make_customer(session, external_id="c-ent", attributes={"plan": "enterprise"})
        make_segment(session, "plan = enterprise")
    header = "survey,customer_id,channel,touchpoint,submitted_at,nps,response_id\n"
    rows = [
        "rnps,c-staged,email,,2024-01-01T10:00:00Z,3,k1",
        "rnps,c-ent,web,relationship,2024-01-01T23:30:00+02:00,9,k2",
        "rnps,c-new,sms,,2024-01-02T10:00:00Z,7,k1",  # repeats k1 in the same batch
        "rnps,,email,,2024-01-03T10:00:00Z,10,k3",
        "rnps,c-ent,email,,2024-01-03T10:00:00Z,6,k2",  # repeats k2 from the previous batch
        "rnps,c-new,email,,2024-01-04T10:00:00Z,8,k4",
        "rnps,c-staged,in_app,relationship,2024-01-05T10:00:00Z,0,k5",
    ]
    path = tmp_path / "responses.csv"
    path.write_text(header + "\n".join(rows) + "\n")
    result = cli("import", "responses", path, "--batch-size", "3")
    assert result.exit_code == 0 and "imported 5, duplicates 2, rejected 0" in result.stderr, result.stderr
    with db.unit_of_work() as session:
        counted = snapshot(session)
        rollups.rebuild_rollups(session)
    with db.unit_of_work() as session:
        assert counted == snapshot(session)
    assert sum(n for key, n in counted.items() if key[:3] == ("UTC", "nps", "segment")) == 1
    assert sum(n for key, n in counted.items() if key[:3] == ("UTC", "nps", "all")) == 5


def test_a_failure_in_the_reader_process_reaches_the_command(
    cli: Cli, db: Database, survey: Survey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader process (cli/read_ahead.py) prepares batches; an unexpected error there stops the import in the
    main process with the reader's traceback, after the batches that came before were stored."""
    from cxloop.cli import import_files as importing

    prepare = importing.collection.prepare_response_import
    calls = {"n": 0}

    def failing(session: Any, rows: Any, file_format: Any, header: Any) -> Any:
        calls["n"] += 1  # counted in the reader process (a fork): its second batch fails
        if calls["n"] == 2:
            raise RuntimeError("boom in the reader")
        return prepare(session, rows, file_format, header)

    monkeypatch.setattr(importing.collection, "prepare_response_import", failing)
    path = tmp_path / "responses.csv"
    path.write_text(HEADER + "".join(f"rnps,c{i},api,2024-02-01T00:00:00Z,5,,id-{i},\n" for i in range(4)))
    result = cli("import", "responses", path, "--batch-size", "2")
    assert result.exit_code != 0
    assert isinstance(result.exception, importing.ReadFailed)
    assert "boom in the reader" in str(result.exception)
    assert count(db, Response) == 2  # the first batch was stored before the reader failed


def test_without_a_reader_process_the_import_gives_the_same_result(
    cli: Cli, db: Database, survey: Survey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where processes cannot be forked (Windows), batches are prepared in the importing process itself."""
    from functools import partial

    from cxloop.cli import import_files as importing

    monkeypatch.setattr(importing, "ReadAhead", partial(importing.ReadAhead, in_process=True))
    path = tmp_path / "responses.csv"
    rows = "".join(f"rnps,c{i},api,2024-02-0{i}T00:00:00Z,{i},,id-{i},\n" for i in range(1, 6))
    path.write_text(HEADER + rows + "rnps,c9,fax,2024-02-01T00:00:00Z,5,,id-9,\n")
    result = cli("import", "responses", path, "--batch-size", "2")
    assert result.exit_code == 1 and "imported 5, duplicates 0, rejected 1" in result.stderr
    assert "line 7: channel" in result.stderr
    broken = tmp_path / "broken.csv"
    broken.write_bytes((HEADER + rows).encode() + b"rnps,c9,api,2024-02-01T00:00:00Z,5,\xff,id-9,\n")
    unreadable = cli("import", "responses", broken, "--batch-size", "2")
    assert unreadable.exit_code == 2 and "line 7: the file is not UTF-8 text" in unreadable.stderr
    assert count(db, Response) == 5


EXTRA_CELL_FILES = {
    "customers": "external_id,name\nc1,Ann\nc2,Bo,extra\n",
    "events": "customer_id,name,occurred_at,event_id\nc1,x,2024-03-01T08:00:00Z,e1\nc1,y,2024-03-01,e2,oops\n",
    "responses": "survey,customer_id,nps,comment,response_id\nrnps,c1,9,fine,r1\nrnps,c2,3,slow, and dear,r2\n",
    "feedback": "kind,source,external_id,channel,text\nreview,g2,a,review,ok\nreview,g2,b,review,Fine, thanks\n",
    "reviews": "source,external_id,text\ng2,a,ok\ng2,b,Nice, really\n",
}


@pytest.mark.parametrize("kind", list(EXTRA_CELL_FILES))
def test_a_row_with_more_cells_than_the_header_is_rejected_not_cut(
    cli: Cli, survey: Survey, tmp_path: Path, kind: str
) -> None:
    path, errors = tmp_path / f"{kind}.csv", tmp_path / "rejected.csv"
    path.write_text(EXTRA_CELL_FILES[kind])
    columns = len(EXTRA_CELL_FILES[kind].splitlines()[0].split(","))
    result = cli("import", kind, path, "--errors", errors)
    assert result.exit_code == 1, result.output
    assert f"line 3: row: {columns + 1} cells but the header names {columns} columns" in result.stderr
    assert "imported 1" in result.stderr and "rejected 1" in result.stderr
    with errors.open(newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["_line"] for r in rejected] == ["3"] and "1 extra cell from column" in rejected[0]["_reason"]


def test_nul_characters_and_deep_json_are_rejected_by_line(
    cli: Cli, db: Database, survey: Survey, tmp_path: Path
) -> None:
    """Issue 10: a NUL character was stored on SQLite and failed the whole batch on PostgreSQL."""
    path = tmp_path / "customers.csv"
    path.write_text("external_id,name,attr.plan\nc1,Ann,pro\nc2,B\x00b,free\nc3,Cy,fr\x00ee\n")
    errors = tmp_path / "rejected.csv"
    result = cli("import", "customers", path, "--errors", errors)
    assert result.exit_code == 1, result.output
    assert "line 3: name: contains a NUL character" in result.stderr
    assert "line 4: attr.plan: contains a NUL character" in result.stderr
    assert "imported 1, updated 0, duplicates 0, rejected 2" in result.stderr
    with errors.open(newline="") as handle:
        assert [(r["external_id"], r["_line"]) for r in csv.DictReader(handle)] == [("c2", "3"), ("c3", "4")]
    deep = '{"a":' * 300 + "1" + "}" * 300
    lines = [
        {"survey": "rnps", "nps": 9, "customer_external_id": "c1", "idempotency_key": "j1"},
        {"survey": "rnps", "nps": 9, "customer_external_id": "c1", "comment": "x\x00", "idempotency_key": "j2"},
    ]
    path = tmp_path / "responses.jsonl"
    path.write_text(
        "\n".join(orjson.dumps(line).decode() for line in lines)
        + '\n{"survey": "rnps", "nps": 9, "metadata": '
        + deep
        + "}\n"
    )
    result = cli("import", "responses", path)
    assert result.exit_code == 1, result.output
    assert "line 2: comment: contains a NUL character" in result.stderr
    assert "line 3: metadata.a.a.a.a.a.…: is nested more than 32 levels deep" in result.stderr
    assert count(db, Response) == 1 and count(db, Customer) == 1, result.stderr
