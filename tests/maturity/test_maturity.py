"""The maturity self-assessment: the ladders (pure), on the database, over HTTP and through `cxloop analyze
maturity`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.core.clock import utcnow
from cxloop.journeys.models import Touchpoint
from cxloop.maturity import rules
from cxloop.maturity import service as maturity
from cxloop.storage.database import Database
from tests.cli_database import commands_on
from tests.factories.cases import open_case
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey

FULL = rules.Usage(
    channels={"email": 500, "web": 300, "sms": 100, "reviews": 50},
    touchpoints=10,
    touchpoints_heard=9,
    invitations_sent=1000,
    invitations_answered=250,
    scored=900,
    comments=400,
    comments_enriched=400,
    configured={"segments": 3, "themes": 12, "trigger_rules": 4, "alert_rules": 2, "targets": 1, "experiments": 1},
    customers=1000,
    customers_with_outcomes=800,
    cases=100,
    cases_closed=90,
    cases_followed_up=80,
    sla_cases=100,
    sla_met=95,
    min_n=30,
)


def test_a_full_workspace_reaches_five_everywhere() -> None:
    for pillar in rules.LADDERS:
        scored = rules.score(pillar, FULL, [])
        assert scored.level == 5 and not scored.missing


def test_a_level_needs_every_level_below() -> None:
    # Four channels and full coverage, but a 5% response rate: listen stops at 3, however strong the rest.
    weak = replace(FULL, invitations_answered=50)
    listen = rules.score("listen", weak, [])
    assert listen.level == 3
    assert listen.missing == ["response rate 10%+"]
    assert "10%" in listen.next_step
    # No cases at all: act is 2 on alert rules alone, and the next step is closing the loop.
    idle = replace(FULL, cases=0, cases_closed=0, cases_followed_up=0, sla_cases=0, sla_met=0)
    act = rules.score("act", idle, [])
    assert act.level == 2 and act.missing == ["half the cases closed"]


def test_shares_carry_n_and_an_interval() -> None:
    share = rules.share("response_rate", "invitations answered", 3, 12, min_n=30)
    assert share is not None and share.n == 12 and share.small_sample
    assert share.ci_low is not None and share.ci_high is not None and share.ci_low < 25 < share.ci_high
    assert rules.share("x", "x", 0, 0, min_n=30) is None
    census = rules.share("touchpoint_coverage", "touchpoints heard", 3, 8, min_n=30, census=True)
    assert census is not None and census.ci_low is None and not census.small_sample


def test_an_empty_workspace_is_level_one_with_first_steps(db: Database) -> None:
    with db.unit_of_work() as session:
        report = maturity.assess(session)
    assert report.level == 1
    assert [p.level for p in report.pillars] == [1, 1, 1]
    listen = report.pillars[0]
    assert "Collect feedback" in listen.next_step
    assert {e.name for e in listen.evidence} >= {"channels_active", "touchpoint_coverage", "trigger_rules"}


def test_usage_is_counted_from_the_domains(db: Database) -> None:
    now = utcnow()
    with db.unit_of_work() as session:
        survey = add_survey(session)
        customers = add_customers(session, 40)
        add_segment(session, "all", customers)
        touchpoints = list(session.scalars(select(Touchpoint.id).order_by(Touchpoint.id)))
        assert len(touchpoints) >= 2
        heard = touchpoints[: max(1, len(touchpoints) // 2)]
        items = [
            Scored(
                now - timedelta(days=1 + i % 30),
                survey,
                c,
                channel="email" if i % 2 else "web",
                touchpoint_id=heard[i % len(heard)],
                nps=i % 11,
            )
            for i, c in enumerate(customers)
        ]
        items.append(Scored(now - timedelta(days=200), survey, customers[0], channel="sms", nps=3))  # outside window
        add_scored(session, items)
        open_case(session, customers[0], 1)
        report = maturity.assess(session)
    listen, understand, act = report.pillars
    evidence = {e.name: e for p in report.pillars for e in p.evidence}
    assert evidence["channels_active"].value == 2
    assert evidence["feedback_email"].value == 20 and "feedback_sms" not in evidence
    assert evidence["touchpoint_coverage"].value == pytest.approx(len(heard) / len(touchpoints) * 100)
    assert evidence["scored_responses"].value == 40
    assert evidence["cases"].value == 1 and evidence["closed_loop"].value == 0
    assert listen.level == 3 and "3+ channels active" in listen.missing
    assert understand.level == 2 and understand.missing == ["half the comments enriched"]  # no comments at all
    assert act.level == 2 and "Close the loop" in act.next_step
    assert report.level == 2


def test_api_and_cli(api: TestClient, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    got = api.get("/api/v1/analytics/maturity")
    assert got.status_code == 200
    assert [p["pillar"] for p in got.json()["pillars"]] == ["listen", "understand", "act"]
    with commands_on(db_url, monkeypatch):
        shown = CliRunner().invoke(app, ["analyze", "maturity"])
        assert shown.exit_code == 0, shown.output
        assert "Listen: 1 of 5" in shown.output and "next step" in shown.output
        as_json = CliRunner().invoke(app, ["analyze", "maturity", "--json"])
        assert json.loads(as_json.output)["level"] == 1
