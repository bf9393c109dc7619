"""The anomaly scan on the database (SQLite and PostgreSQL): a planted drop in one segment is found, stored once,
announced on the outbox, listed at GET /api/v1/anomalies and printed by `cxloop analyze anomalies`."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cxloop.analytics import anomalies, queries
from cxloop.cli.main import app
from cxloop.collection.local_days import day_number
from cxloop.jobs.events import ANOMALY_DETECTED
from cxloop.jobs.models import OutboxEvent
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.invitations import make_invitation
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey

AS_OF = date(2026, 11, 11)  # a Wednesday: the last complete week starts Monday 2 November
DROP_WEEK = date(2026, 11, 2)


def build(db: Database) -> None:
    """Ten weeks of NPS for Enterprise and SMB (40 answers a week each); Enterprise drops in the week of 2 Nov."""
    rng = random.Random(42)
    with db.unit_of_work() as session:
        survey = add_survey(session)
        enterprise = add_customers(session, 20)
        smb = add_customers(session, 20, start=100)
        add_segment(session, "enterprise", enterprise, name="Enterprise")
        add_segment(session, "smb", smb, name="SMB")
        items = []
        for week in range(10):
            monday = DROP_WEEK - timedelta(weeks=9 - week)
            for members, planted in ((enterprise, week == 9), (smb, False)):
                promoters, detractors = (0.3, 0.45) if planted else (0.55, 0.15)
                for i in range(40):
                    draw = rng.random()
                    score = 10 if draw < promoters else 2 if draw < promoters + detractors else 8
                    moment = datetime.combine(monday + timedelta(days=i % 7), datetime.min.time(), UTC)
                    items.append(Scored(moment + timedelta(hours=9), survey, members[i % 20], nps=score))
        add_scored(session, items)


@pytest.fixture
def planted(db: Database) -> Database:
    build(db)
    return db


def test_the_planted_drop_is_found_stored_once_and_announced(planted: Database) -> None:
    with planted.unit_of_work() as session:
        report = anomalies.scan(session, weeks=1, days=0, as_of=AS_OF)
    assert report.weeks == [DROP_WEEK]
    found = [a for a in report.discoveries if a.scope_key == "enterprise" and a.metric == "nps"]
    assert len(found) == 1 and report.new >= 1
    drop = found[0]
    assert drop.direction == "drop" and drop.granularity == "week" and drop.period_start == DROP_WEEK
    assert drop.n == 40 and drop.baseline_n == 320
    assert drop.explanation.startswith("Enterprise NPS fell from ")
    assert "in the week of 2 Nov 2026" in drop.explanation and "n = 40" in drop.explanation
    assert not any(a.scope_key == "smb" for a in report.discoveries)
    # SMB and Enterprise CSAT/CES have no answers: skipped or absent, never reported
    with planted.unit_of_work() as session:
        again = anomalies.scan(session, weeks=1, days=0, as_of=AS_OF)
        stored = anomalies.list_anomalies(session)
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.name == ANOMALY_DETECTED)).all()
    assert again.new == 0 and len(again.discoveries) == len(report.discoveries)
    assert [a.series for a in stored].count("nps/segment:enterprise/week") == 1
    assert len(events) == 1 and len(events[0].payload["anomaly_ids"]) == report.new


def test_a_dry_run_stores_nothing(planted: Database) -> None:
    with planted.unit_of_work() as session:
        report = anomalies.scan(session, weeks=1, days=0, as_of=AS_OF, store=False)
        assert report.discoveries and report.new == 0
        assert anomalies.list_anomalies(session) == []


def test_daily_tests_are_skipped_when_n_is_small(planted: Database) -> None:
    with planted.unit_of_work() as session:
        report = anomalies.scan(session, weeks=0, days=1, as_of=AS_OF, store=False)
    reasons = {s.series: s.reason for s in report.skipped}
    assert reasons["nps/segment:enterprise/day"] == "fewer than 30 a day on average: read it by week"


def test_invitation_days_count_sent_and_answered(db: Database) -> None:
    sent_at = datetime(2026, 11, 3, 10, tzinfo=UTC)
    with db.unit_of_work() as session:
        invited = [make_invitation(session, sent=True, now=sent_at) for _ in range(3)]
        invited[0].invitation.answered_at = sent_at + timedelta(hours=1)
        session.flush()
        rows = queries.invitation_days(session, first_day=day_number(date(2026, 11, 1)), last_day=day_number(AS_OF))
    assert rows == [("email", day_number(date(2026, 11, 3)), 3, 1)]


def test_get_anomalies_lists_them_with_filters(api: TestClient, planted: Database) -> None:
    with planted.unit_of_work() as session:
        anomalies.scan(session, weeks=1, days=0, as_of=AS_OF)
    response = api.get("/api/v1/anomalies", params={"metric": "nps", "scope": "enterprise"})
    assert response.status_code == 200, response.text
    (body,) = response.json()
    assert body["period_start"] == "2026-11-02" and body["direction"] == "drop" and body["id"] >= 1
    assert body["explanation"].startswith("Enterprise NPS fell")
    assert api.get("/api/v1/anomalies", params={"since": "2026-12-01"}).json() == []
    bad = api.get("/api/v1/anomalies", params={"limit": 0, "since": "yesterday"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"query.limit", "query.since"}


@pytest.fixture
def cli(planted: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def test_cli_scans_now_and_prints_json(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anomalies, "utcnow", lambda: datetime.combine(AS_OF, datetime.min.time(), UTC))
    result = cli.invoke(app, ["analyze", "anomalies", "--days", "0", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["weeks"] == ["2026-11-02"] and body["q"] == 0.05
    assert any(d["series"] == "nps/segment:enterprise/week" for d in body["discoveries"])
    table = cli.invoke(app, ["analyze", "anomalies", "--days", "0"])
    assert table.exit_code == 0, table.output
    assert "Enterprise NPS fell from" in table.output and "0 new" in table.output
    assert cli.invoke(app, ["analyze", "anomalies", "--weeks", "500"]).exit_code == 2


class _Runtime:
    def __init__(self, database: Database) -> None:
        self.database = database


def test_the_worker_scans_once_a_day_in_its_hour(planted: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from cxloop.analytics import tasks
    from cxloop.jobs import NoPayload

    clock = {"now": datetime(2026, 11, 11, 3, tzinfo=UTC)}
    monkeypatch.setattr(tasks, "utcnow", lambda: clock["now"])
    monkeypatch.setattr(anomalies, "utcnow", lambda: clock["now"])
    tasks.scan_anomalies(_Runtime(planted), NoPayload())
    with planted.unit_of_work() as session:
        assert anomalies.list_anomalies(session) == []  # 03:00: not the scan's hour
    clock["now"] = datetime(2026, 11, 11, tasks.SCAN_HOUR, 5, tzinfo=UTC)
    tasks.scan_anomalies(_Runtime(planted), NoPayload())
    tasks.scan_anomalies(_Runtime(planted), NoPayload())  # a second run in the hour stores nothing again
    with planted.unit_of_work() as session:
        stored = anomalies.list_anomalies(session)
    assert [a.series for a in stored].count("nps/segment:enterprise/week") == 1
