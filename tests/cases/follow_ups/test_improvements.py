""" "You asked, we fixed it": an improvement announced once per customer whose case had its root cause or theme,
opt-outs respected and counted, through the API, the CLI and the real SMTP server; and what follow-ups give a
privacy request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cxloop.cases import follow_up_privacy
from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction
from cxloop.cases.models import FollowUp
from cxloop.cases.schemas import Actor, CaseUpdate
from cxloop.cases.service import improvements
from cxloop.channels.follow_up_tasks import send_due_follow_ups
from cxloop.cli import context
from cxloop.cli.main import app
from cxloop.core.config import Settings
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database
from tests.cases.follow_ups.world import EMAIL_TEMPLATE, Runtime, World, build
from tests.channels.messaging.conftest import SmtpServer
from tests.cli_database import commands_on
from tests.factories.cases import open_case
from tests.factories.consent import record_consent
from tests.factories.customers import make_customer

ANN = Actor("Ann")
IMPROVEMENT = {
    "title": "Next-day delivery in Wales",
    "subject": "You asked, we fixed it",
    "body": "Hi {first_name}, you told us delivery was slow ({case_reference}). {improvement} is live now.",
    "translations": {"de": {"subject": "Erledigt", "body": "Hallo {first_name}: {improvement}."}},
    "root_cause": "slow-delivery",
    "theme": "delivery-time",
    "shipped_at": "2026-12-01T09:00:00Z",
}


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setattr(context.console, "_width", 300)
    with commands_on(db.url, monkeypatch):
        yield CliRunner()


def _people(db: Database, api: TestClient) -> dict[str, int]:
    """Five customers: two the improvement answers and may be told, two it answers but may not be told, one
    whose case is about something else."""
    assert (
        api.post("/api/v1/case-root-causes", json={"key": "slow-delivery", "name": "Slow delivery"}).status_code == 201
    )
    assert api.post("/api/v1/case-root-causes", json={"key": "rude", "name": "Rude staff"}).status_code == 201
    ids: dict[str, int] = {}
    with db.unit_of_work() as session:
        for n, (name, extra, cause, tags) in enumerate(
            [
                ("told", {"email": "ida@example.com", "name": "Ida Told", "locale": "de"}, "slow-delivery", []),
                ("by_theme", {"email": "tom@example.com", "name": "Tom Theme"}, None, ["delivery-time", "wales"]),
                ("opted_out", {"email": "olga@example.com", "name": "Olga Out"}, "slow-delivery", []),
                ("no_email", {"name": "Nina"}, "slow-delivery", []),
                ("other", {"email": "otto@example.com", "name": "Otto Other"}, "rude", []),
            ]
        ):
            customer = make_customer(session, **extra)
            case, _ = open_case(session, customer.id, 100 + n)
            cases.update_case(session, case_id=case.id, data=CaseUpdate(tags=tags), actor=ANN)
            if cause:
                cases.transition(
                    session, case_id=case.id, action=CaseAction.resolve, actor=ANN, resolution="r", root_cause=cause
                )
            ids[name] = customer.id
        record_consent(session, ids["opted_out"], channel="email", granted=False, purpose="follow_up")
    return ids


def test_an_improvement_is_announced_once_to_the_customers_it_answers(
    api: TestClient, db: Database, settings: Settings, smtp_server: SmtpServer, cli: CliRunner
) -> None:
    build(db)  # branding, the team and its routing
    people = _people(db, api)
    made = api.post("/api/v1/improvements", json=IMPROVEMENT)
    assert made.status_code == 201, made.text
    improvement_id = made.json()["id"]
    announced = api.post(f"/api/v1/improvements/{improvement_id}/announce")
    assert announced.status_code == 200, announced.text
    assert announced.json()["counts"] == {
        "matched": 4,
        "queued": 2,
        "already_announced": 0,
        "skipped": {"opted_out": 1, "no_address": 1},
    }
    send_due_follow_ups(Runtime(settings, db), NoPayload())
    mails = {m["To"]: m for m in smtp_server.recorder.messages}
    assert set(mails) == {"Ida Told <ida@example.com>", "Tom Theme <tom@example.com>"}
    ida = mails["Ida Told <ida@example.com>"]
    assert ida.get_content().replace("\r\n", "\n").startswith("Hallo Ida: Next-day delivery in Wales.\n\n-- \n")
    assert str(ida["List-Unsubscribe"]).endswith("?purpose=follow_up>")  # announcements are follow-ups too
    assert "Hi Tom, you told us delivery was slow (#" in mails["Tom Theme <tom@example.com>"].get_content()

    again = cli.invoke(app, ["improvements", "announce", str(improvement_id), "--json"])
    assert again.exit_code == 0, again.output
    assert orjson.loads(again.output) == {
        "matched": 4,
        "queued": 0,
        "already_announced": 2,
        "skipped": {"opted_out": 1, "no_address": 1},
    }
    send_due_follow_ups(Runtime(settings, db), NoPayload())
    assert len(smtp_server.recorder.messages) == 2  # nobody hears of it twice
    listed = api.get("/api/v1/improvements").json()
    assert [(i["id"], i["sent"], i["root_cause"]) for i in listed] == [(improvement_id, 2, "slow-delivery")]
    with db.unit_of_work() as session:
        told = session.scalars(select(FollowUp).where(FollowUp.customer_id == people["by_theme"])).one()
        detail = cases.case_detail(session, cases.require_case(session, case_id=told.case_id))
    assert detail.activity[-1].kind == "improvement_announced"
    assert detail.first_response_at is None  # an announcement is not the case's first response
    audit = api.get("/api/v1/audit", params={"action": "improvement.announced"}).json()["items"]
    assert len(audit) == 2 and {a["actor"].split(":")[0] for a in audit} == {"api_key", "cli"}


def test_improvements_are_checked(api: TestClient, db: Database, cli: CliRunner) -> None:
    no_match = {k: v for k, v in IMPROVEMENT.items() if k not in ("root_cause", "theme")}
    assert api.post("/api/v1/improvements", json=no_match).status_code == 422
    unknown = api.post("/api/v1/improvements", json={**IMPROVEMENT, "theme": None})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "root_cause"
    typo = api.post("/api/v1/improvements", json={**IMPROVEMENT, "body": "{improvment}"})
    assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "body"
    assert api.post("/api/v1/improvements/999/announce").status_code == 404
    made = cli.invoke(app, ["improvements", "create", "--title", "Faster", "--body", "Hi", "--theme", "speed"])
    assert made.exit_code == 2 and "subject" in made.output  # an email needs a subject
    made = cli.invoke(
        app, ["improvements", "create", "--title", "Faster", "--body", "Hi", "--subject", "S", "--theme", "speed"]
    )
    assert made.exit_code == 0, made.output
    listed = cli.invoke(app, ["improvements", "list"])
    assert "Faster" in listed.output and "never" in listed.output


def test_the_follow_up_command(api: TestClient, db: Database, cli: CliRunner, settings: Settings) -> None:
    world: World = build(db, locale="de")
    assert api.post("/api/v1/follow-up-templates", json=EMAIL_TEMPLATE).status_code == 201
    dry = cli.invoke(app, ["cases", "follow-up", str(world.case), "--template", "apology", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Hallo Grete," in dry.output and "consent: allowed" in dry.output and "may be sent" in dry.output
    with db.unit_of_work() as session:
        assert session.scalars(select(FollowUp)).all() == []
    sent = cli.invoke(app, ["cases", "follow-up", str(world.case), "--template", "apology", "--json"])
    assert sent.exit_code == 0, sent.output
    body = orjson.loads(sent.output)
    assert body["status"] == "queued" and body["actor"].startswith("cli:")
    sms = cli.invoke(app, ["cases", "follow-up", str(world.case), "--template", "apology", "--channel", "sms"])
    assert sms.exit_code == 2 and "no active sms template" in sms.output
    with db.unit_of_work() as session:
        record_consent(session, world.customer, channel="email", granted=False, purpose="*")
    refused = cli.invoke(app, ["cases", "follow-up", str(world.case), "--template", "apology"])
    assert refused.exit_code == 2 and "opted_out" in refused.output
    assert cli.invoke(app, ["cases", "follow-up", "--help"]).exit_code == 0


def test_follow_ups_are_exported_and_erased_with_the_person(api: TestClient, db: Database) -> None:
    world = build(db)
    assert api.post("/api/v1/follow-up-templates", json=EMAIL_TEMPLATE).status_code == 201
    agent_case = f"/api/v1/cases/{world.case}/follow-ups"
    assert api.post(agent_case, json={"template": "apology"}).status_code == 201
    with db.unit_of_work() as session:
        exported = follow_up_privacy.export_customer_data(session, customer_id=world.customer)
        (item,) = exported["follow_ups"]
        assert item["address"] == "grete@example.com" and item["body"].startswith("Hi Grete,")
        assert follow_up_privacy.erase_customer_data(session, customer_id=world.customer) == {
            "follow_up_replies": 0,
            "follow_ups": 1,
        }
    with db.unit_of_work() as session:
        assert follow_up_privacy.export_customer_data(session, customer_id=world.customer) == {"follow_ups": []}


def test_two_announcements_at_once_tell_each_customer_once(api: TestClient, db: Database) -> None:
    build(db)
    _people(db, api)
    improvement_id = api.post("/api/v1/improvements", json=IMPROVEMENT).json()["id"]
    start = threading.Barrier(2)

    def announce(_: int) -> int:
        start.wait()
        with db.unit_of_work(write=True) as session:
            return improvements.announce(session, improvement_id=improvement_id, actor=ANN).queued

    with ThreadPoolExecutor(2) as pool:
        queued = list(pool.map(announce, range(2)))
    assert sorted(queued) == [0, 2]
    with db.unit_of_work() as session:
        rows = session.scalars(select(FollowUp.customer_id).where(FollowUp.improvement_id == improvement_id)).all()
    assert len(rows) == len(set(rows)) == 2
