"""The SLA report agrees exactly with a recount from `cxloop export cases`; the teams, users and cases commands."""

from __future__ import annotations

import csv
import io
import math
import random
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from cxloop.access import service as access
from cxloop.access.errors import TeamNotFound
from cxloop.analytics.stats import wilson_interval
from cxloop.cases import service as cases
from cxloop.cases.errors import CaseNotFound
from cxloop.cases.models import Case
from cxloop.cases.schemas import RoutingRuleIn
from cxloop.cli import context
from cxloop.cli.main import app
from cxloop.core.business_hours import calendar
from cxloop.core.clock import parse_instant
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer

HOURS = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setattr(context.console, "_width", 300)  # tables of many columns on one line (restored to unset)
    with commands_on(db.url, monkeypatch):
        yield CliRunner()


def history(db: Database, *, seed: int = 7) -> None:
    """Forty cases of two teams (one with office hours in Paris) created over the last three weeks, each
    acknowledged and closed after random delays, or not yet."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        office = make_team(
            session,
            key="office",
            members=[make_user(session, email="ann@example.com")],
            timezone="Europe/Paris",
            business_hours=HOURS,
        )
        allday = make_team(session, key="allday", members=[make_user(session, email="bob@example.com")])
        ids = []
        for n in range(40):
            team = office if n % 2 else allday
            cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
            ids.append(open_case(session, make_customer(session).id, n + 1, title=f"=case {n}")[0].id)
        for case_id in ids:
            created = now - timedelta(hours=rng.uniform(1, 500))
            acknowledged = created + timedelta(hours=rng.uniform(0.1, 12)) if rng.random() < 0.8 else None
            closed = created + timedelta(hours=rng.uniform(2, 120)) if acknowledged and rng.random() < 0.7 else None
            if acknowledged and acknowledged > now:
                acknowledged = closed = None
            if closed and closed > now:
                closed = None
            status = "closed" if closed else "acknowledged" if acknowledged else "new"
            session.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(
                    created_at=created,
                    acknowledged_at=acknowledged,
                    closed_at=closed,
                    status=status,
                    open_customer_id=None if closed else Case.customer_id,
                )
            )
        stopped = select(func.count()).select_from(Case).where(Case.acknowledged_at.is_not(None))
        assert cases.fill_clock_minutes(session, batch_size=7) == session.scalar(stopped) > 0  # as the migration
        assert cases.fill_clock_minutes(session) == 0


def recount(rows: list[dict[str, str]], group: str) -> dict[str, object]:
    """The report's figures for one team, from exported cells only."""
    mine = [r for r in rows if r["team"] == group]

    def share(moment: str, minutes: str, target: int) -> tuple[int, int]:
        reached = [r for r in mine if r[moment]]
        waiting = [r for r in mine if not r[moment] and float(r[minutes]) > target]
        return sum(1 for r in reached if float(r[minutes]) <= target), len(reached) + len(waiting)

    def spread(moment: str, minutes: str) -> tuple[int, float | None, float | None]:
        values = sorted(float(r[minutes]) for r in mine if r[moment])
        if not values:
            return 0, None, None
        p90 = values[math.ceil(0.9 * len(values)) - 1]
        return len(values), round(statistics.median(values) / 60, 4), round(p90 / 60, 4)

    return {
        "cases": len(mine),
        "ack2": share("acknowledged_at", "acknowledge_minutes", 120),
        "ack6": share("acknowledged_at", "acknowledge_minutes", 360),
        "close48": share("closed_at", "close_minutes", 2880),
        "ack_time": spread("acknowledged_at", "acknowledge_minutes"),
        "close_time": spread("closed_at", "close_minutes"),
    }


def test_the_sla_report_agrees_with_a_recount_of_the_export(cli: CliRunner, db: Database) -> None:
    history(db)
    exported = cli.invoke(app, ["export", "cases", "--format", "csv", "--no-formula-escape"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 40 and rows[1]["title"] == "=case 1"
    # The durations in the file are the working minutes between the exported timestamps.
    office = calendar("Europe/Paris", HOURS)
    for row in rows:
        if row["acknowledged_at"]:
            cal = office if row["team"] == "office" else calendar("UTC", None)
            start, end = parse_instant(row["created_at"]), parse_instant(row["acknowledged_at"])
            assert float(row["acknowledge_minutes"]) == pytest.approx(cal.minutes_between(start, end), abs=0.01)
    with db.unit_of_work() as session:
        report = cases.sla_report(session, by="team", as_of=datetime.now(UTC))
    assert [r.group for r in report.rows] == ["allday", "office"]
    for row in report.rows:
        expected = recount(rows, row.group)
        figures = {
            "cases": row.cases,
            "ack2": (row.acknowledged_within_2h.successes, row.acknowledged_within_2h.n),
            "ack6": (row.acknowledged_within_6h.successes, row.acknowledged_within_6h.n),
            "close48": (row.closed_within_48h.successes, row.closed_within_48h.n),
            "ack_time": (
                row.time_to_acknowledge.n,
                row.time_to_acknowledge.median_hours,
                row.time_to_acknowledge.p90_hours,
            ),
            "close_time": (row.time_to_close.n, row.time_to_close.median_hours, row.time_to_close.p90_hours),
        }
        assert figures == expected
        share = row.acknowledged_within_2h
        assert share.percent == share.successes / share.n * 100
        assert share.interval == wilson_interval(share.successes, share.n)
    # Office hours make a difference: some office case waited longer on the wall clock than in working time.
    office_rows = [r for r in rows if r["team"] == "office" and r["acknowledged_at"]]
    wall = [
        (parse_instant(r["acknowledged_at"]) - parse_instant(r["created_at"])).total_seconds() / 60 for r in office_rows
    ]
    assert any(w - float(r["acknowledge_minutes"]) > 1 for w, r in zip(wall, office_rows, strict=True))


def test_export_cases_as_json_lines_with_escaped_csv_formulas(cli: CliRunner, db: Database) -> None:
    with db.unit_of_work() as session:
        customer = make_customer(session).id
        case, _ = open_case(session, customer, 3, 4, title="=HYPERLINK(1)")
    lines = cli.invoke(app, ["export", "cases", "--format", "jsonl"])
    assert lines.exit_code == 0, lines.output
    (row,) = [orjson.loads(line) for line in lines.stdout.splitlines()]
    assert row["id"] == case.id and row["feedback_ids"] == [3, 4] and row["response_ids"] == []
    assert row["acknowledged_at"] is None and row["created_at"].endswith("Z") and row["status"] == "new"
    escaped = cli.invoke(app, ["export", "cases"])
    assert "'=HYPERLINK(1)" in escaped.stdout and "3|4" in escaped.stdout


def test_teams_users_and_cases_commands(cli: CliRunner, db: Database) -> None:
    lead = cli.invoke(app, ["users", "create", "--email", "lea@example.com", "--role", "agent"])
    assert lead.exit_code == 0, lead.output
    made = cli.invoke(
        app,
        [
            "teams",
            "create",
            "support",
            "--name",
            "Support",
            "--lead",
            "lea@example.com",
            "--timezone",
            "Europe/Paris",
            "--hours",
            '{"mon": ["09:00-18:00"]}',
            "--holiday",
            "2026-12-25",
            "--assignment",
            "fewest_open",
        ],
    )
    assert made.exit_code == 0, made.output
    user = cli.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "Ann@Example.com",
            "--password",
            "a long passphrase",
            "--role",
            "agent",
            "--team",
            "support",
        ],
    )
    assert user.exit_code == 0 and "member of support" in user.output, user.output
    with db.unit_of_work() as session:
        assert access.authenticate_user(session, email="ann@example.com", password="a long passphrase")
        team = access.require_team(session, key="support")
        (read,) = access.team_reads(session, [team])
        assert read.business_hours == {"mon": ["09:00-18:00"]} and read.assignment == "fewest_open"
        ann = access.user_id_by_email(session, email="ann@example.com")
        assert read.member_ids == [ann] and read.lead_user_id is not None
    keyed = cli.invoke(
        app, ["api-key", "create", "--name", "ann's key", "--role", "agent", "--user", "ann@example.com"]
    )
    assert keyed.exit_code == 0, keyed.output
    with db.unit_of_work() as session:
        principal = access.check_api_key(session, plain_key=keyed.stdout.strip().splitlines()[-1]).principal
        assert principal.user_id == ann
    nobody = cli.invoke(app, ["api-key", "create", "--name", "x", "--user", "nobody@example.com"])
    assert nobody.exit_code == 1 and "--user" in nobody.output
    short = cli.invoke(app, ["users", "create", "--email", "x@example.com", "--password", "short"])
    assert short.exit_code == 1 and "password" in short.output
    bad = cli.invoke(app, ["teams", "create", "x", "--hours", '{"mon": ["18-9"]}'])
    assert bad.exit_code == 1 and "business_hours" in bad.output
    unknown = cli.invoke(app, ["users", "create", "--email", "y@example.com", "--team", "nope"])
    assert isinstance(unknown.exception, TeamNotFound)  # `cxloop` (main) prints it as an error
    assert cli.invoke(app, ["teams", "update", "support", "--around-the-clock"]).exit_code == 0
    assert cli.invoke(app, ["teams", "add-member", "support", "lea@example.com"]).exit_code == 0
    assert cli.invoke(app, ["teams", "remove-member", "support", "lea@example.com"]).exit_code == 0
    listed = cli.invoke(app, ["teams", "list"])
    assert "support" in listed.output and "around the clock" in listed.output and "ann@example.com" in listed.output

    with db.unit_of_work() as session:
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
        case, _ = open_case(session, make_customer(session).id, 1, title="Late delivery")
    shown = cli.invoke(app, ["cases", "show", str(case.id)])
    assert shown.exit_code == 0 and "Late delivery" in shown.output and "fewest open" in shown.output
    listed_cases = cli.invoke(app, ["cases", "list", "--status", "new", "--team", "support"])
    assert (
        listed_cases.exit_code == 0
        and "Late delivery" in listed_cases.output
        and "ann@example.com" in listed_cases.output
    )
    report = cli.invoke(app, ["cases", "sla-report", "--by", "owner"])
    assert report.exit_code == 0 and "ann@example.com" in report.output, report.output
    missing = cli.invoke(app, ["cases", "show", "999"])
    assert isinstance(missing.exception, CaseNotFound) and "no case 999" in str(missing.exception)
