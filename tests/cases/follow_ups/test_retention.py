"""The `follow_ups` retention kind: old follow-ups lose their address, wording and the customer's replies (and the
case activity lines that copy them), keep what reports count, and the dry run counts exactly what a run touches;
a privacy request exports and erases them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.cases.enums import FollowUpChannel
from cxloop.cases.follow_up_schemas import FollowUpAsk
from cxloop.cases.models import CaseActivity, FollowUp, FollowUpReply
from cxloop.cases.schemas import Actor
from cxloop.cases.service import follow_ups
from cxloop.channels.follow_ups import deliver_follow_up
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.privacy import service as privacy
from cxloop.storage.database import Database
from tests.cases.follow_ups.world import EMAIL_TEMPLATE, World, build
from tests.channels.messaging.conftest import SmtpServer


@pytest.fixture
def world(db: Database, api: TestClient) -> World:
    built = build(db)
    assert api.post("/api/v1/follow-up-templates", json=EMAIL_TEMPLATE).status_code == 201
    return built


def _ask(db: Database, world: World, now: datetime) -> int:
    with db.unit_of_work() as session:
        ask = FollowUpAsk(template="apology", channel=FollowUpChannel.email)
        return follow_ups.request_follow_up(session, case_id=world.case, ask=ask, actor=Actor("Ann"), now=now).id


def _reply(db: Database, follow_up_id: int, text: str) -> None:
    with db.unit_of_work() as session:
        follow_ups.record_reply(
            session, follow_up_id=follow_up_id, channel="email", message_id=f"<{text}@mail.example>", body=text
        )


def _age(db: Database, days: int) -> None:
    with db.unit_of_work() as session:
        for row in session.scalars(select(FollowUp)):
            row.created_at -= timedelta(days=days)


def _runs(api: TestClient, *, dry_run: bool) -> dict[str, int]:
    ran = api.post("/api/v1/privacy/retention/runs", params={"dry_run": str(dry_run).lower()})
    assert ran.status_code == 200, ran.text
    return {item["kind"]: item["rows"] for item in ran.json()["items"]}


def test_old_follow_ups_are_anonymised_with_their_replies_and_activity_copies(
    api: TestClient, db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    now = datetime.now(UTC)
    sent = _ask(db, world, now)
    assert deliver_follow_up(db, sent, settings=settings, now=now) is True
    _reply(db, sent, "Still broken, call me on +44 20 7946 0958")
    waiting = _ask(db, world, now + timedelta(days=1))  # held for later: never touched while it waits
    _age(db, 100)

    refused = api.put("/api/v1/privacy/retention/follow_ups", json={"keep_days": 30, "action": "delete"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "action"
    assert api.put("/api/v1/privacy/retention/follow_ups", json={"keep_days": 30, "action": "anonymise"}).is_success
    assert _runs(api, dry_run=True) == {"follow_ups": 1}
    assert _runs(api, dry_run=False) == {"follow_ups": 1}
    assert _runs(api, dry_run=True) == {"follow_ups": 0}

    with db.unit_of_work() as session:
        row = session.get_one(FollowUp, sent)
        assert (row.address, row.subject, row.body, row.detail) == ("", None, "", None)
        assert (row.status, row.channel, row.template) == ("sent", "email", "apology")  # reports keep their record
        assert row.sent_at is not None
        assert session.scalars(select(FollowUpReply.text)).all() == [""]
        assert session.get_one(FollowUp, waiting).body.startswith("Hi Grete")
        lines = session.scalars(select(CaseActivity).where(CaseActivity.case_id == world.case)).all()
        copies = [line for line in lines if line.detail.get("follow_up_id") == sent]
        assert {line.kind for line in copies} == {"follow_up_sent", "customer_reply"}
        assert all(line.note is None and "subject" not in line.detail for line in copies)

    _reply(db, sent, "Hello again")  # a reply to an anonymised follow-up is anonymised on the next run
    assert _runs(api, dry_run=True) == {"follow_ups": 1}
    _runs(api, dry_run=False)
    with db.unit_of_work() as session:
        assert session.scalars(select(FollowUpReply.text)).all() == ["", ""]
    timeline = api.get(f"/api/v1/customers/{world.customer}/timeline").json()["items"]
    assert [e["links"]["follow_up_id"] for e in timeline if e["kind"] == "follow_up"] == [waiting, sent]


def test_a_privacy_request_exports_and_erases_follow_ups_and_replies(
    db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    now = datetime.now(UTC)
    sent = _ask(db, world, now)
    assert deliver_follow_up(db, sent, settings=settings, now=now) is True
    _reply(db, sent, "Thanks, Grete")
    with db.unit_of_work() as session:
        reference = customers.require_customer(session, customer_id=world.customer).external_id
        held = privacy.export_customer(session, reference=reference).holders["follow_ups"]["follow_ups"]
    assert [(f["id"], f["address"], [r["text"] for r in f["replies"]]) for f in held] == [
        (sent, "grete@example.com", ["Thanks, Grete"])
    ]
    with db.unit_of_work(write=True) as session:
        erasure = privacy.erase_customer(session, reference=reference, requested_by="test")
    assert erasure.record.removed["follow_ups"] == 1 and erasure.record.removed["follow_up_replies"] == 1
    with db.unit_of_work() as session:
        assert session.scalars(select(FollowUp)).all() == [] and session.scalars(select(FollowUpReply)).all() == []
