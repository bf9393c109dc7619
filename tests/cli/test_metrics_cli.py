"""`cxloop metrics ...` through typer's CliRunner against the test database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from cxloop.analytics import rollups
from cxloop.analytics.models import InvitationRollup, ScoreRollup, SurveyResponseDay
from cxloop.cli.main import app
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.invitations import make_invitation
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey


@pytest.fixture
def cli(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with db.unit_of_work() as session:
        survey = add_survey(session)
        first, second = add_customers(session, 2)
        add_segment(session, "enterprise", [first])
        january = [Scored(datetime(2026, 1, 10, tzinfo=UTC), survey, first, nps=s) for s in (0, 0, 0, 0, 3, 10)]
        february = [Scored(datetime(2026, 2, 10, tzinfo=UTC), survey, first, nps=s) for s in (10, 10, 10, 9, 9, 5)]
        other = [Scored(datetime(2026, 2, 12, tzinfo=UTC), survey, second, nps=5, csat=4)]
        add_scored(session, january + february + other)
    with commands_on(db_url, monkeypatch):
        monkeypatch.setenv("CXLOOP_ROLLUP_TIMEZONES", '["UTC"]')
        previous = rollups.rolled_up_timezones()
        yield CliRunner()
    rollups.configure(previous)


def test_table_by_month_and_segment_marks_significant_change(cli: CliRunner) -> None:
    result = cli.invoke(app, ["metrics", "nps", "--by", "month,segment"])
    assert result.exit_code == 0, result.output
    assert "NPS" in result.output and "from rollup" in result.output
    lines = [line for line in result.output.splitlines() if "2026-" in line]
    assert "2026-01" in lines[0] and "-66.7" in lines[0] and "enterprise" in lines[0]
    # -66.7 -> +66.7 with n = 6 each: z = 133.3 / 43.0 = 3.1, significant at 5%
    assert "2026-02" in lines[1] and "+66.7" in lines[1] and "+133.3 *" in lines[1]
    assert "total" in result.output


def test_json_output_matches_the_api_shape(cli: CliRunner) -> None:
    result = cli.invoke(app, ["metrics", "csat", "--json", "--start", "2026-02-01", "--end", "2026-02-28"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["metric"] == "csat" and body["total"]["n"] == 1 and body["total"]["value"] == 100.0
    assert body["filters"] == {"start": "2026-02-01", "end": "2026-02-28"}


def test_bad_options_exit_2_naming_the_option(cli: CliRunner) -> None:
    result = cli.invoke(app, ["metrics", "ces", "--by", "month,colour", "--segment", "nobody"])
    assert result.exit_code == 2
    assert "--by" in result.output and "colour" in result.output
    unknown = cli.invoke(app, ["metrics", "nps", "--segment", "nobody"])
    assert unknown.exit_code == 2 and "--segment" in unknown.output and "nobody" in unknown.output


def test_rebuild_recounts_the_rollups(cli: CliRunner, db: Database) -> None:
    tables = (ScoreRollup, InvitationRollup, SurveyResponseDay)
    with db.unit_of_work() as session:
        make_invitation(session, sent=True)
        before = [session.query(table).count() for table in tables]
        for table in tables:
            session.query(table).delete()
    result = cli.invoke(app, ["metrics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rollups rebuilt" in result.output
    with db.unit_of_work() as session:
        after = [session.query(table).count() for table in tables]
    assert after == before and all(before)


def test_csv_output_has_one_row_per_group_and_a_total(cli: CliRunner) -> None:
    result = cli.invoke(app, ["metrics", "nps", "--by", "month", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["month", "nps", "n", "ci_low", "ci_high", "change", "change_significant"]
    assert rows[1][:3] == ["2026-01", "-66.6667", "6"]
    assert result.output.splitlines()[1].startswith('"2026-01",-66.6667,6,')  # labels quoted, numbers stay numbers
    assert rows[2][0] == "2026-02" and rows[2][2] == "7" and rows[2][6] in {"true", "false"}
    assert rows[-1][0] == "total" and rows[-1][2] == "13"
    assert len(rows) == 4


def test_tables_fit_an_80_column_terminal(cli: CliRunner) -> None:
    result = cli.invoke(app, ["metrics", "nps", "--by", "month,segment"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80, result.output
    assert "…" not in result.output, "no cell is cut short"
    january = next(line for line in result.output.splitlines() if "2026-01" in line)
    assert "enterprise" in january and "-66.7" in january, result.output


def test_small_groups_are_grey_and_marked_too_few_to_read(cli: CliRunner) -> None:
    result = cli.invoke(app, ["metrics", "nps", "--by", "month"])
    assert result.exit_code == 0, result.output
    january = next(line for line in result.output.splitlines() if "2026-01" in line)
    assert " 6!" in january  # n = 6 is below the default minimum of 30
    assert "n below 30, too few to read" in " ".join(result.output.split())
    body = json.loads(cli.invoke(app, ["metrics", "nps", "--json"]).output)
    assert body["total"]["n"] == 13 and body["total"]["small_sample"] is True


def test_a_bad_minimum_n_setting_is_named(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from cxloop.cli import context

    monkeypatch.setenv("CXLOOP_METRIC_MIN_N", '{"nps": 1}')
    context.settings.cache_clear()
    context.database.cache_clear()
    result = cli.invoke(app, ["metrics", "nps"])
    assert result.exit_code == 2
    assert "CXLOOP_METRIC_MIN_N: the minimum n of nps must be 2-1,000,000, got 1" in " ".join(result.output.split())
