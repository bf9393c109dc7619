"""Key drivers on the database: a planted effect is found (a theme that costs 30 NPS points, in one segment only;
support waits that cost CSAT), no effect is reported where there is none, too little data says what it needs, and
the API and `cxloop analyze drivers` answer the same."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cxloop.access.enums import Role
from cxloop.analytics.drivers import service as key_drivers
from cxloop.analytics.drivers.schemas import DriverRead, DriverReport
from cxloop.cli.main import app
from cxloop.collection.models import Response
from cxloop.core.errors import InvalidInput
from cxloop.customers.models import Customer
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.cli_database import commands_on
from tests.conftest import make_key
from tests.factories.customers import make_account, make_events
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)
LATE = "my parcel arrived late again"
FINE = "all good, thank you"
# Per 10 answers: NPS 30 without the theme; per 20 with it: NPS 0 (30 points lower).
WITHOUT = [10] * 5 + [8] * 3 + [3] * 2
WITH = [10] * 7 + [8] * 6 + [3] * 7


def respond(session: Session, survey: int, answers: Sequence[tuple[int, int, str | None]], **fields: object) -> None:
    """Responses (customer, score, comment) at AT, then their comments set."""
    start = session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1)) or 0
    metric = str(fields.pop("metric", "nps"))
    items = [
        Scored(AT + timedelta(minutes=i), survey, customer, **{metric: score}, **fields)  # type: ignore[arg-type]
        for i, (customer, score, _) in enumerate(answers)
    ]
    add_scored(session, items)
    ids = list(session.scalars(select(Response.id).where(Response.id > start).order_by(Response.id)))
    for text in {comment for _, _, comment in answers if comment}:
        chosen = [ids[i] for i, (_, _, comment) in enumerate(answers) if comment == text]
        session.execute(update(Response).where(Response.id.in_(chosen)).values(comment=text))
    session.flush()


def by_key(report: DriverReport) -> dict[str, DriverRead]:
    return {driver.key: driver for driver in report.drivers}


@pytest.fixture
def planted(db: Database) -> Database:
    """SMB and Enterprise, 400 NPS answers each, 150 of each mentioning late delivery; in SMB those score 30 points
    lower, in Enterprise the same as the rest. Half the answers come by SMS (no effect anywhere)."""
    with db.unit_of_work() as session:
        survey = add_survey(session)
        smb, enterprise = add_customers(session, 50), add_customers(session, 50, start=100)
        add_segment(session, "smb", smb, name="SMB")
        add_segment(session, "enterprise", enterprise, name="Enterprise")
        for customers, costly in ((smb, True), (enterprise, False)):
            answers: list[tuple[int, int, str | None]] = []
            late_scores = WITH if costly else WITHOUT
            answers += [(customers[i % 50], late_scores[i % len(late_scores)], LATE) for i in range(160)]
            answers += [(customers[(i * 7) % 50], WITHOUT[i % 10], FINE) for i in range(160)]
            answers += [(customers[(i * 3) % 50], WITHOUT[i % 10], None) for i in range(80)]
            # Every second block of 20 by SMS: whole cycles of the scores, so the same scores either way.
            respond(session, survey, [a for i, a in enumerate(answers) if i // 20 % 2 == 0], channel="email")
            respond(session, survey, [a for i, a in enumerate(answers) if i // 20 % 2 == 1], channel="sms")
        themes.add_rule(session, data=RuleCreate(name="Late delivery", phrases=["late"]))
    return db


def _theme(report: DriverReport) -> DriverRead:
    (found,) = [d for d in report.drivers if d.label == "Late delivery"]
    return found


def test_finds_the_planted_theme_in_its_segment(planted: Database) -> None:
    with planted.unit_of_work() as session:
        smb = key_drivers.analyse(session, metric="nps", segment="smb")
        enterprise = key_drivers.analyse(session, metric="nps", segment="enterprise")
        everyone = key_drivers.analyse(session, metric="nps")
    assert smb.enough and smb.n == 400 and smb.scope == "segment SMB"
    late = _theme(smb)
    assert late.n == 160 and late.share == pytest.approx(0.4)
    assert late.effect == pytest.approx(-30, abs=0.5)
    assert late.significant and late.effect_ci_high < -10
    # If those 40% scored like the rest, SMB NPS would be 12 points higher.
    assert late.impact == pytest.approx(12, abs=0.3)
    assert late.impact_ci_low > 0
    assert late.sentence.startswith("Fixing comments about 'Late delivery' is worth about +12.0 NPS points for")
    assert "segment SMB (95 % interval" in late.sentence
    assert smb.drivers[0] is late
    assert smb.fit is not None and smb.fit.n_held_out > 0 and smb.fit.n_train + smb.fit.n_held_out == 400
    assert smb.fit.accuracy_held_out is not None and smb.fit.baseline_accuracy is not None
    # The theme is the only family that explains anything.
    assert smb.families[0].family == "themes" and smb.families[0].r2_share > 0

    quiet = _theme(enterprise)
    assert quiet.effect_ci_low < 0 < quiet.effect_ci_high and not quiet.significant
    assert quiet.sentence.endswith("within noise.")
    sms = by_key(everyone)["channel:sms"]
    assert sms.effect_ci_low < 0 < sms.effect_ci_high and sms.reference == "email"
    assert _theme(everyone).effect == pytest.approx(-15, abs=1)


def test_null_data_reports_no_effect(db: Database) -> None:
    """Scores drawn independently of the comments: the theme's interval covers 0."""
    rng = random.Random(7)
    with db.unit_of_work() as session:
        survey = add_survey(session)
        starter = make_account(session, name="Small", plan="starter", arr=Decimal(5_000))
        growth = make_account(session, name="Big", plan="growth", arr=Decimal(50_000))
        customers = add_customers(session, 60, accounts=[starter, growth])
        answers = [(customers[i % 60], rng.choice(range(11)), LATE if rng.random() < 0.3 else FINE) for i in range(600)]
        respond(session, survey, answers)
        themes.add_rule(session, data=RuleCreate(name="Late delivery", phrases=["late"]))
        report = key_drivers.analyse(session, metric="nps")
    late = _theme(report)
    assert late.effect_ci_low < 0 < late.effect_ci_high and not late.significant
    assert report.fit is not None and report.fit.r2_held_out < 0.05
    starter_plan = by_key(report)["plan:starter"]
    assert starter_plan.reference == "growth" and not starter_plan.significant and starter_plan.n == 300
    # Each account has one plan and one size: the size says nothing the plan does not.
    (size,) = [s for s in report.skipped if s.key.startswith("size:")]
    assert size.label == "size ARR under 10k" and "moves together" in size.reason


def test_support_waits_cost_csat(db: Database) -> None:
    """Customers whose ticket waited over two hours in the 30 days before answering are satisfied 30 points less
    often; a ticket after the answer, or long before it, does not count."""
    with db.unit_of_work() as session:
        survey = add_survey(session)
        customers = add_customers(session, 100)
        externals = {row[0]: row[1] for row in session.execute(select(Customer.id, Customer.external_id))}
        for i, customer in enumerate(customers[:40]):
            wait = 300 if i % 2 == 0 else 20
            make_events(
                session,
                externals[customer],
                "ticket_solved",
                [AT - timedelta(days=3)],
                properties={"wait_minutes": wait, "transfers": 0, "reopens": 0},
                external_id=f"t{i}",
            )
        for i, customer in enumerate(customers[40:80]):  # after the answers, or long before: no bearing on them
            when = AT + timedelta(days=3) if i % 2 else AT - timedelta(days=45)
            make_events(
                session,
                externals[customer],
                "ticket_solved",
                [when],
                properties={"wait_minutes": 600},
                external_id=f"late{i}",
            )
        long_wait = set(customers[:40:2])
        answers = []
        for i in range(1000):
            customer = customers[i % 100]
            satisfied = i // 100 < (4 if customer in long_wait else 7)  # 40% vs 70%
            answers.append((customer, 5 if satisfied else 2, None))
        respond(session, survey, answers, metric="csat")
        report = key_drivers.analyse(session, metric="csat")
    found = by_key(report)
    wait = found["helpdesk:long_wait"]
    assert wait.n == 200
    assert wait.effect == pytest.approx(-30, abs=1) and wait.significant
    assert "support waits over 2 hours" in wait.sentence and "CSAT points" in wait.sentence
    ticket = found["helpdesk:ticket"]
    assert ticket.n == 400 and not ticket.significant
    skipped = {s.key: s for s in report.skipped}
    assert (
        skipped["helpdesk:transferred"].n == 0 and "too few answers with it" in skipped["helpdesk:transferred"].reason
    )


def test_too_few_answers_explain_the_minimum(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = add_survey(session)
        customers = add_customers(session, 5)
        respond(session, survey, [(customers[i % 5], 9, None) for i in range(57)])
        report = key_drivers.analyse(session, metric="nps")
        empty = key_drivers.analyse(session, metric="ces")
    assert not report.enough and report.n == 57 and report.drivers == [] and report.fit is None
    assert "57 NPS answers" in report.explanation and "at least 200" in report.explanation
    assert empty.n == 0 and empty.value is None and not empty.enough


def test_bad_input_names_the_field(db: Database) -> None:
    with db.unit_of_work() as session:
        for kwargs, field in (
            ({"metric": "loyalty"}, "metric"),
            ({"metric": "nps", "segment": "nobody"}, "segment"),
            ({"metric": "nps", "start": "March"}, "start"),
            ({"metric": "nps", "tz": "Mars/Olympus"}, "tz"),
        ):
            with pytest.raises(InvalidInput) as caught:
                key_drivers.analyse(session, **kwargs)  # type: ignore[arg-type]
            assert [e.field for e in caught.value.errors] == [field]


def test_api_and_cli(planted: Database, client: TestClient, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = make_key(planted, Role.viewer)
    answer = client.get(
        "/api/v1/analytics/drivers?metric=nps&segment=smb&start=2026-03-01&end=2026-03-31", headers=viewer
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["enough"] and body["n"] == 400 and body["drivers"][0]["label"] == "Late delivery"
    outside = client.get("/api/v1/analytics/drivers?metric=nps&start=2026-04-01", headers=viewer).json()
    assert outside["n"] == 0 and not outside["enough"]
    bad = client.get("/api/v1/analytics/drivers?metric=nps&segment=nobody", headers=viewer)
    assert bad.status_code == 422 and "segment" in bad.text

    with commands_on(db_url, monkeypatch):
        runner = CliRunner()
        printed = runner.invoke(app, ["analyze", "drivers", "--metric", "nps", "--segment", "smb", "--json"])
        assert printed.exit_code == 0, printed.output
        assert json.loads(printed.output)["drivers"][0]["impact"] == pytest.approx(body["drivers"][0]["impact"])
        table = runner.invoke(app, ["analyze", "drivers", "--segment", "smb"])
        assert table.exit_code == 0, table.output
        assert "Fixing comments about 'Late delivery' is worth about +12.0 NPS points" in " ".join(table.output.split())
        refused = runner.invoke(app, ["analyze", "drivers", "--segment", "nobody"])
        assert refused.exit_code == 2 and "--segment" in refused.output
