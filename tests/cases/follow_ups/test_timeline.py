"""Follow-ups on the customer's timeline: each with what became of it (sent and when, failed and why, queued and
until when) and its status in the links; replies masked for agents and viewers, as written for analysts and admins;
agents of other teams see none of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxloop.cases.enums import FollowUpChannel
from cxloop.cases.follow_up_schemas import FollowUpAsk
from cxloop.cases.schemas import Actor
from cxloop.cases.service import follow_ups
from cxloop.channels.follow_ups import deliver_follow_up
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.cases.follow_ups.world import EMAIL_TEMPLATE, World, build, key_for
from tests.channels.messaging.conftest import SmtpServer

SENT_AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Database, api: TestClient) -> World:
    built = build(db)
    assert api.post("/api/v1/follow-up-templates", json=EMAIL_TEMPLATE).status_code == 201
    return built


def _ask(db: Database, world: World, now: datetime) -> int:
    with db.unit_of_work() as session:
        ask = FollowUpAsk(template="apology", channel=FollowUpChannel.email)
        return follow_ups.request_follow_up(session, case_id=world.case, ask=ask, actor=Actor("Ann"), now=now).id


def _follow_up_entries(client: TestClient, customer: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    items = client.get(f"/api/v1/customers/{customer}/timeline", headers=headers).json()["items"]
    return [i for i in items if i["kind"].startswith("follow_up")]


def test_the_timeline_tells_what_became_of_each_follow_up_and_masks_replies(
    api: TestClient, db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    sent = _ask(db, world, SENT_AT)
    assert deliver_follow_up(db, sent, settings=settings, now=SENT_AT) is True
    smtp_server.recorder.refuse.add("grete@example.com")
    failed = _ask(db, world, SENT_AT + timedelta(minutes=1))
    assert deliver_follow_up(db, failed, settings=settings, now=SENT_AT + timedelta(minutes=1)) is True
    waiting = _ask(db, world, SENT_AT + timedelta(minutes=2))  # never delivered: still queued
    with db.unit_of_work() as session:
        follow_ups.record_reply(
            session, follow_up_id=sent, channel="email", message_id="<r1@mail.example>", body="Call me: 07700 900123"
        )

    admin = _follow_up_entries(api, world.customer, {})
    by_id = {(e["kind"], e["id"]): e for e in admin}
    subject = f"About your feedback (#{world.case})"
    first = by_id[("follow_up", sent)]
    assert first["summary"] == f"follow-up by email: {subject} — sent 2026-12-07 10:00 UTC"
    assert first["links"] | {"case_id": 0} == {
        "case_id": 0,
        "follow_up_id": sent,
        "channel": "email",
        "status": "sent",
        "sent_at": "2026-12-07T10:00:00Z",
    }
    second = by_id[("follow_up", failed)]
    assert second["summary"].startswith(f"follow-up by email: {subject} — failed: ") and "550" in second["summary"]
    assert second["links"]["status"] == "failed" and second["links"]["sent_at"] is None
    third = by_id[("follow_up", waiting)]
    assert third["summary"] == f"follow-up by email: {subject} — queued, leaves 2026-12-07 10:02 UTC"
    [reply] = [e for e in admin if e["kind"] == "follow_up_reply"]
    assert reply["summary"] == "replied by email: Call me: 07700 900123"

    agent = _follow_up_entries(api, world.customer, key_for(db, world.agent))
    assert [e["summary"] for e in agent if e["kind"] == "follow_up_reply"] == ["replied by email: Call me: [PHONE]"]
    assert len(agent) == 4
    assert _follow_up_entries(api, world.customer, key_for(db, world.outsider)) == []  # another team's agent
