"""Comparisons (segment vs segment, period vs period, year over year) and targets on the database, over HTTP and
through `cxloop analyze compare / targets`."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from scipy import stats as sp
from sqlalchemy import select
from typer.testing import CliRunner

from cxloop.analytics import comparisons, targets
from cxloop.analytics.schemas import TargetCreate
from cxloop.audit.models import AuditEntry
from cxloop.cli.main import app
from cxloop.core.errors import InvalidInput
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey

TODAY = date(2026, 11, 11)


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)


@pytest.fixture
def world(db: Database) -> Database:
    """Enterprise: NPS 40 in 2026 Q1 (n 100); SMB: NPS 0 (n 100); Enterprise 2025 Q1: NPS 20 (n 50); a tiny segment.
    And 12 weeks before TODAY of Enterprise NPS rising 2 points a week, 60 answers a week."""
    with db.unit_of_work() as session:
        survey = add_survey(session)
        enterprise, smb, tiny = (
            add_customers(session, 10),
            add_customers(session, 10, start=50),
            add_customers(session, 1, start=90),
        )
        add_segment(session, "enterprise", enterprise, name="Enterprise")
        add_segment(session, "smb", smb, name="SMB")
        add_segment(session, "tiny", tiny, name="Tiny")
        items = []
        q1 = date(2026, 2, 10)
        items += [
            Scored(at(q1), survey, enterprise[i % 10], nps=s) for i, s in enumerate([10] * 60 + [8] * 20 + [2] * 20)
        ]
        items += [Scored(at(q1), survey, smb[i % 10], nps=s) for i, s in enumerate([10] * 40 + [8] * 20 + [2] * 40)]
        items += [
            Scored(at(date(2025, 2, 10)), survey, enterprise[i % 10], nps=s)
            for i, s in enumerate([10] * 25 + [8] * 10 + [2] * 15)
        ]
        items += [Scored(at(q1), survey, tiny[0], nps=10)] * 3
        monday = TODAY - timedelta(days=TODAY.weekday())
        for week in range(12):
            start = monday - timedelta(weeks=12 - week)
            promoters = 24 + week  # of 60: NPS rises by 100/60 points a week
            scores = [10] * promoters + [8] * (60 - promoters - 12) + [2] * 12
            items += [
                Scored(at(start + timedelta(days=i % 5)), survey, enterprise[i % 10], nps=s)
                for i, s in enumerate(scores)
            ]
        add_scored(session, items)
    return db


def test_segment_vs_segment(world: Database) -> None:
    a = {"segment": "enterprise", "start": "2026-01-01", "end": "2026-03-31"}
    with world.unit_of_work() as session:
        result = comparisons.compare(session, metric="nps", a=a, b={"segment": "smb"})
    assert (result.a.value.n, result.b.value.n) == (100, 100)
    assert result.difference == pytest.approx(40.0)

    def se(p: int, d: int, n: int) -> float:
        total = n + 2.25
        pp, dd = (p + 0.75) / total, (d + 0.75) / total
        return math.sqrt((pp + dd - (pp - dd) ** 2) / total) * 100

    both = math.hypot(se(60, 20, 100), se(40, 40, 100))
    assert result.p_value == pytest.approx(2 * sp.norm.sf(40 / both))
    assert result.ci_low == pytest.approx(40 - 1.959963984540054 * both)
    assert result.verdict == "significant"
    assert result.explanation.startswith("NPS of segment enterprise, 2026-01-01 to 2026-03-31 (40.0, n = 100) is 40.0")
    assert "significant." in result.explanation


def test_year_over_year(world: Database) -> None:
    a = {"segment": "enterprise", "start": "2026-01-01", "end": "2026-03-31"}
    with world.unit_of_work() as session:
        result = comparisons.compare(session, metric="nps", a=a, b={}, year_over_year=True)
    assert result.b.filters == {"segment": "enterprise", "start": "2025-01-01", "end": "2025-03-31"}
    assert (result.b.value.n, result.b.value.value) == (50, pytest.approx(20.0))
    assert result.difference == pytest.approx(20.0)
    assert result.ci_low is not None and result.ci_high is not None and result.ci_low < 20 < result.ci_high


def test_too_few_answers_explain_instead_of_a_number(world: Database) -> None:
    with world.unit_of_work() as session:
        result = comparisons.compare(session, metric="nps", a={"segment": "tiny"}, b={"segment": "smb"})
    assert result.difference is None and result.p_value is None and result.verdict == "too few to read"
    assert result.a.value.small_sample is True
    assert result.explanation == (
        "Too few to compare: segment tiny has n = 3; each side needs at least 30 nps answers."
    )


def test_bad_comparisons_name_the_field(world: Database) -> None:
    with world.unit_of_work() as session:
        with pytest.raises(InvalidInput) as same:
            comparisons.compare(session, metric="nps", a={"segment": "smb"}, b={})
        assert same.value.errors[0].field == "vs_segment"
        with pytest.raises(InvalidInput) as unknown:
            comparisons.compare(session, metric="nps", a={"segment": "smb"}, b={"segment": "nobody"})
        assert [(e.field, e.message) for e in unknown.value.errors] == [("vs_segment", "there is no segment 'nobody'")]
        with pytest.raises(InvalidInput) as yoy:
            comparisons.compare(session, metric="nps", a={"start": "2026-01-01"}, b={}, year_over_year=True)
        assert [e.field for e in yoy.value.errors] == ["end"]


def test_compare_over_http(api: TestClient, world: Database) -> None:
    response = api.get(
        "/api/v1/analytics/compare",
        params={
            "metric": "nps",
            "segment": "enterprise",
            "vs_segment": "smb",
            "start": "2026-01-01",
            "end": "2026-03-31",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "significant"
    bad = api.get("/api/v1/analytics/compare", params={"metric": "npx", "segment": "smb", "vs_segment": "enterprise"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "metric"


def test_a_target_reports_progress_and_a_probability(world: Database) -> None:
    with world.unit_of_work() as session:
        target = targets.create_target(
            session,
            data=TargetCreate(
                name="Enterprise NPS 40",
                metric="nps",
                segment="enterprise",
                target_value=40,
                due_date=TODAY + timedelta(weeks=8),
                start_date=TODAY - timedelta(weeks=8),
            ),
            today=TODAY,
        )
        read = targets.read(session, target, as_of=TODAY)
    assert read.segment == "enterprise"
    assert read.trend_per_week == pytest.approx(100 / 60, rel=0.05)
    assert read.baseline.value is not None and read.current.value is not None
    assert read.current.value > read.baseline.value
    assert read.progress_pct == pytest.approx(
        (read.current.value - read.baseline.value) / (40 - read.baseline.value) * 100
    )
    assert read.probability is not None and 0.5 < read.probability < 1
    assert read.projected is not None and read.projected > 40
    assert "chance of reaching 40" in read.explanation


def test_a_target_without_enough_data_says_why(world: Database) -> None:
    with world.unit_of_work() as session:
        target = targets.create_target(
            session,
            data=TargetCreate(
                name="SMB", metric="nps", segment="smb", target_value=20, due_date=TODAY + timedelta(days=90)
            ),
            today=TODAY,
        )
        read = targets.read(session, target, as_of=TODAY)
    assert read.probability is None and read.current.n == 0
    assert read.explanation.startswith("Too few to project: 0 of the last 12 weeks have at least 30 answers")


def test_targets_over_http_with_audit_and_bad_input(api: TestClient, world: Database) -> None:
    body = {"name": "NPS +10", "metric": "nps", "segment": "enterprise", "target_value": 45, "due_date": "2027-06-30"}
    made = api.post("/api/v1/targets", json=body)
    assert made.status_code == 201, made.text
    target_id = made.json()["id"]
    assert [t["id"] for t in api.get("/api/v1/targets").json()] == [target_id]
    assert api.get(f"/api/v1/targets/{target_id}").json()["name"] == "NPS +10"
    bad = api.post("/api/v1/targets", json=body | {"target_value": 140, "segment": "nobody", "due_date": "2020-01-01"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"target_value", "segment", "due_date"}
    assert api.delete(f"/api/v1/targets/{target_id}").status_code == 204
    assert api.get(f"/api/v1/targets/{target_id}").status_code == 404
    with world.unit_of_work() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["metric_target.created", "metric_target.deleted"]


@pytest.fixture
def cli(world: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def test_cli_compare_and_targets(cli: CliRunner) -> None:
    result = cli.invoke(
        app,
        [
            "analyze",
            "compare",
            "--metric",
            "nps",
            "--segment",
            "enterprise",
            "--vs-segment",
            "smb",
            "--start",
            "2026-01-01",
            "--end",
            "2026-03-31",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "significant" in result.output and "n = 100" in result.output
    tiny = cli.invoke(app, ["analyze", "compare", "--segment", "tiny", "--vs-segment", "smb", "--json"])
    assert tiny.exit_code == 0 and json.loads(tiny.output)["verdict"] == "too few to read"
    bad = cli.invoke(app, ["analyze", "compare", "--segment", "nobody", "--vs-segment", "smb"])
    assert bad.exit_code == 2 and "--segment: there is no segment 'nobody'" in " ".join(bad.output.split())
    added = cli.invoke(
        app,
        [
            "analyze",
            "targets",
            "add",
            "--name",
            "NPS 45",
            "--value",
            "45",
            "--due",
            "2030-01-01",
            "--segment",
            "enterprise",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = cli.invoke(app, ["analyze", "targets", "list"])
    assert "NPS 45" in listed.output and "for enterprise by 2030-01-01" in " ".join(listed.output.split())
    refused = cli.invoke(
        app, ["analyze", "targets", "add", "--name", "x", "--value", "9", "--due", "2030-01-01", "--metric", "ces"]
    )
    assert refused.exit_code == 2 and "ces targets are 1 to 7" in " ".join(refused.output.split())
    target_id = json.loads(added.output)["id"]
    assert cli.invoke(app, ["analyze", "targets", "remove", str(target_id)]).exit_code == 0
    assert cli.invoke(app, ["analyze", "targets", "remove", str(target_id)]).exit_code == 2
