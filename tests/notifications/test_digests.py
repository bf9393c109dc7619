"""The weekly team digest: metric changes with their significance, new detractors, open cases, breaches and SLA
attainment with n; sent by the worker's job from Monday 08:00 in the team's timezone to the lead and members who
opted in, once per team and week (also across a restart), through a real SMTP server with text and HTML parts;
`cxloop digest preview|send|subscribe`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding import service as branding
from cxloop.cases import service as cases
from cxloop.cases.models import Case
from cxloop.cli.main import app
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core import clock
from cxloop.core.config import Settings
from cxloop.jobs import queued
from cxloop.notifications import digests, tasks
from cxloop.storage.database import Database
from cxloop.worker import build_sender
from tests.alerts.conftest import add_survey
from tests.cli_database import commands_on
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer
from tests.jobs.conftest import SmtpServer
from tests.jobs.conftest import smtp_server as smtp_server  # noqa: F401 - the fixture
from tests.notifications.conftest import FAST

PARIS = ZoneInfo("Europe/Paris")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS).astimezone(UTC)


def _answers(db: Database, day: date, scores: list[int], comment: str | None = None) -> None:
    with db.unit_of_work(write=True) as session:
        items = [
            ResponseCreate(
                survey="pulse", nps=s, comment=comment if s <= 6 else None, submitted_at=_at(day, 12, i % 60)
            )
            for i, s in enumerate(scores)
        ]
        collection.record_responses(session, items=items)


def _week() -> date:
    """Last full week in Paris: answers must lie in the past (at most 5 minutes ahead is accepted)."""
    return digests.last_week("Europe/Paris", now=datetime.now(UTC))


def _world(db: Database) -> dict[str, int]:
    week = _week()
    add_survey(db)
    _answers(db, week - timedelta(days=6), [10] * 30 + [0] * 10, "meh")  # the week before: NPS +50, n 40
    _answers(db, week + timedelta(days=2), [10] * 10 + [8] * 4 + [0] * 26, "The refund never came")  # NPS -40
    with db.unit_of_work(write=True) as session:
        lead = make_user(session, email="lee@example.com", name="Lee Lead")
        keen, quiet = make_user(session, email="kim@example.com"), make_user(session, email="quinn@example.com")
        team = make_team(
            session, key="support", name="Support", members=[keen, quiet], lead_user_id=lead.id, timezone="Europe/Paris"
        )
        digests.set_preference(session, user_id=keen.id, weekly_digest=True, now=datetime.now(UTC))
        met, missed = (open_case(session, make_customer(session).id, team_id=team.id)[0] for _ in range(2))
        branding.update(session, {"organisation_name": "Acme CX", "primary_colour": "#123456"}, now=datetime.now(UTC))
    created = _at(week + timedelta(days=1), 10)  # Tuesday 10:00: due 12:00, Wednesday 10:00, Thursday 10:00
    with db.unit_of_work(write=True) as session:
        for case_id in (met.id, missed.id):
            session.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(
                    created_at=created,
                    acknowledge_due_at=created + timedelta(hours=2),
                    first_response_due_at=created + timedelta(hours=24),
                    close_due_at=created + timedelta(hours=48),
                )
            )
        session.execute(
            update(Case)
            .where(Case.id == met.id)
            .values(
                status="closed",
                acknowledged_at=created + timedelta(hours=1),
                first_response_at=created + timedelta(hours=2),
                closed_at=created + timedelta(hours=10),
                open_customer_id=None,
            )
        )
        assert cases.sweep(session, now=_at(week + timedelta(days=6), 20)).breaches == 3  # the missed case's clocks
    return {"team": team.id, "lead": lead.id, "keen": keen.id, "quiet": quiet.id}


def test_the_digest_holds_changes_with_significance_detractors_and_sla_with_n(db: Database) -> None:
    world = _world(db)
    with db.unit_of_work() as session:
        data = digests.build(session, team_id=world["team"], week_start=_week(), now=datetime.now(UTC))
        assert digests.recipients(session, team_id=world["team"]) == sorted([world["lead"], world["keen"]])
    nps = data["metrics"][0]
    assert (nps["metric"], nps["value"], nps["n"], nps["previous"]) == ("nps", -40.0, 40, 50.0)
    assert nps["significant"] is True and nps["in_words"] == "significant fall"
    assert nps["ci_low"] < -40 < nps["ci_high"]
    assert data["new_detractors"] == 26 and len(data["detractors"]) == digests.TOP_DETRACTORS
    assert {d["comment"] for d in data["detractors"]} == {"The refund never came"}
    assert data["team_cases"] | {"sla_interval": None} == {
        "open": 1,
        "breaches": 3,
        "sla_met": 3,
        "sla_n": 6,
        "sla_percent": 50.0,
        "sla_interval": None,
        "small_sample": True,
    }
    low, high = data["team_cases"]["sla_interval"]
    assert low < 50 < high


def test_the_worker_sends_it_from_monday_8_once_per_team_and_week(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    world = _world(db)
    monday = _week() + timedelta(days=7)

    class Runtime:
        database = db

    job = next(j for j in queued if j.name == tasks.DIGEST_JOB)
    assert job.every_minutes == 15
    with db.unit_of_work() as session:
        assert digests.due_teams(session, now=_at(monday, 7, 59)) == []
        assert digests.due_teams(session, now=_at(monday, 8, 0)) == [(world["team"], _week())]
    configured = settings.model_copy(update={"smtp_url": smtp_server.url, "public_url": "https://cx.example.com"})
    # The worker's clock just after Monday 08:00 in Paris: run now, on a Sunday night or a Monday morning, the week
    # before is not due yet by the real clock.
    with clock.pinned(_at(monday, 8, 5)):
        queued.run(Runtime(), tasks.DIGEST_JOB, {})
        queued.run(Runtime(), tasks.DIGEST_JOB, {})  # a second run, as after a restart: nothing new
        sender = build_sender(configured, db, policy=FAST)
        assert sender.run_pass() == 2
        assert sender.run_pass() == 0
        sender.close()
    with db.unit_of_work() as session:
        assert digests.due_teams(session, now=_at(monday, 9)) == []
    envelopes = smtp_server.recorder.envelopes
    assert sorted(e.rcpt_tos[0] for e in envelopes) == ["kim@example.com", "lee@example.com"]
    mail = message_from_bytes(envelopes[0].content, policy=policy.default)
    assert mail["Subject"] == f"Acme CX weekly digest: Support, week of {_week().isoformat()}"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "NPS -40 (95 % CI " in text and "n = 40), -90.0 vs the week before: significant fall" in text
    assert "New detractors: 26" in text and '"The refund never came"' in text
    assert "SLA breaches this week: 3" in text and "50.0 % of 6 clocks met (3/6, 95 % CI " in text
    assert "(small sample)" in text and "Open cases: 1" in text
    assert 'style="background:#123456' in html and "significant fall" in html
    assert "https://cx.example.com/cases?team=support" in html


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def test_cli_preview_send_and_subscribe(
    cli: CliRunner, db: Database, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world(db)
    monkeypatch.setenv("CXLOOP_SMTP_URL", smtp_server.url)
    week = _week().isoformat()
    shown = cli.invoke(app, ["digest", "preview", "--team", "support"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert "significant fall" in shown.output and "goes to 2 people" in shown.output
    assert cli.invoke(app, ["digest", "subscribe", "quinn@example.com"]).exit_code == 0
    with db.unit_of_work() as session:
        [entry] = audit.list_entries(session, action=AuditAction.user_digest_changed).items
    assert entry.actor.startswith("cli:") and entry.changes == {"weekly_email": [False, True]}
    sent = cli.invoke(app, ["digest", "send", "--team", "support", "--week", week])
    assert sent.exit_code == 0, sent.output
    assert f"digest of the week of {week}: 3 of 3 emails sent" in sent.output
    assert len(smtp_server.recorder.envelopes) == 3
    twice = cli.invoke(app, ["digest", "send", "--team", "support", "--week", week])
    assert twice.exit_code == 1 and "went already" in twice.output
    for args, words in (
        (["--team", "nope"], "--team: no team has the key or id 'nope'"),
        (["--team", "support", "--week", "2026-11-31"], "is not a date"),
        (["--team", "support", "--week", "2026-11-24"], "a digest week starts on a Monday"),
    ):
        bad = cli.invoke(app, ["digest", "preview", *args])
        assert bad.exit_code == 2 and words in bad.output, bad.output


def test_admins_set_who_gets_the_digest_over_the_api(api: TestClient, db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        lead, agent = make_user(session), make_user(session)
        team = make_team(session, members=[agent], lead_user_id=lead.id)
    assert api.get(f"/api/v1/users/{lead.id}/digest").json() == {
        "user_id": lead.id,
        "weekly_digest": True,
        "chosen": False,
    }
    assert api.get(f"/api/v1/users/{agent.id}/digest").json()["weekly_digest"] is False
    changed = api.put(f"/api/v1/users/{agent.id}/digest", json={"weekly_digest": True})
    assert changed.status_code == 200 and changed.json() == {"user_id": agent.id, "weekly_digest": True, "chosen": True}
    assert api.put(f"/api/v1/users/{lead.id}/digest", json={"weekly_digest": False}).status_code == 200
    with db.unit_of_work() as session:
        assert digests.recipients(session, team_id=team.id) == [agent.id]
        entries = audit.list_entries(session, action=AuditAction.user_digest_changed).items
    assert [e.target_id for e in entries] == [str(lead.id), str(agent.id)]  # newest first
    assert entries[0].target_type == "user" and entries[0].changes == {"weekly_email": [True, False]}
    missing = api.put("/api/v1/users/999999/digest", json={"weekly_digest": True})
    assert missing.status_code == 404
    bad = api.put(f"/api/v1/users/{agent.id}/digest", json={"weekly_digest": "yes"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "weekly_digest"


def test_every_role_sets_its_own_digest_over_the_api(client: TestClient, db: Database) -> None:
    from cxloop.access import service as access
    from cxloop.access.enums import Role

    with db.unit_of_work(write=True) as session:
        viewer = make_user(session, role=Role.viewer)
        _, plain = access.create_api_key(session, name="viewer's own", role=Role.viewer, user_id=viewer.id)
        _, loose = access.create_api_key(session, name="a service", role=Role.admin)
    mine = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me/digest", headers=mine).json() == {
        "user_id": viewer.id,
        "weekly_digest": False,
        "chosen": False,
    }
    on = client.put("/api/v1/me/digest", json={"weekly_digest": True}, headers=mine)
    assert on.status_code == 200 and on.json() == {"user_id": viewer.id, "weekly_digest": True, "chosen": True}
    assert (
        client.put(f"/api/v1/users/{viewer.id}/digest", json={"weekly_digest": False}, headers=mine).status_code == 403
    )
    bad = client.put("/api/v1/me/digest", json={"weekly_digest": 1}, headers=mine)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "weekly_digest"
    nobody = client.put("/api/v1/me/digest", json={"weekly_digest": True}, headers={"Authorization": f"Bearer {loose}"})
    assert nobody.status_code == 409 and "belongs to no user" in nobody.json()["detail"]
    with db.unit_of_work() as session:
        [entry] = audit.list_entries(session, action=AuditAction.user_digest_changed).items
    assert entry.target_id == str(viewer.id) and entry.actor_name == "viewer's own"
