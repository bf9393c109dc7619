"""GET /api/v1/stream against a real uvicorn server, on both databases: a new feedback item reaches a connected
client within seconds, Last-Event-ID replays what a client missed, agents get only their teams' case events, and
a request without a key is refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from cxloop.access.enums import Role
from cxloop.api.stream_hub import QUEUE_BOUND, StreamHub
from cxloop.jobs import events, outbox
from cxloop.storage.async_database import AsyncDatabase
from cxloop.storage.database import Database
from cxloop.storage.writer import Writer
from tests.cases.test_api import key_for
from tests.conftest import make_key
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer
from tests.live import LiveServer

REVIEW = {"kind": "review", "source": "g2", "channel": "review", "text": "Great"}


def _events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Parsed server-sent events (id, event, data) from a stream's lines; comments and `retry` skipped."""
    event: dict[str, Any] = {}
    for line in lines:
        if not line:
            if "event" in event:
                yield event
            event = {}
        elif not line.startswith(":") and ": " in line:
            name, _, value = line.partition(": ")
            event[name] = orjson.loads(value) if name == "data" else int(value) if name == "id" else value


def _post_feedback(server: LiveServer, headers: dict[str, str], text: str) -> int:
    sent = httpx.post(f"{server.url}/api/v1/feedback", json={**REVIEW, "text": text}, headers=headers, timeout=30)
    assert sent.status_code == 201, sent.text
    return int(sent.json()["ids"][0])


def test_a_new_feedback_item_reaches_a_connected_viewer(live_server: LiveServer, db: Database) -> None:
    admin, viewer = make_key(db, Role.admin), make_key(db, Role.viewer)
    url = f"{live_server.url}/api/v1/stream"
    with httpx.stream("GET", url, headers=viewer, params={"max_seconds": 30}, timeout=30) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines).startswith("retry: ")  # the stream is open: the hub counts this client
        started = time.monotonic()
        feedback_id = _post_feedback(live_server, admin, "arrives live")
        event = next(_events(lines))
        assert time.monotonic() - started < 10
        assert event["event"] == "feedback.received" and event["data"] == {"feedback_ids": [feedback_id]}
        assert event["id"] >= 1


def test_last_event_id_replays_what_was_missed(live_server: LiveServer, db: Database) -> None:
    admin, viewer = make_key(db, Role.admin), make_key(db, Role.viewer)
    url = f"{live_server.url}/api/v1/stream"
    first = _post_feedback(live_server, admin, "one")
    with httpx.stream("GET", url, headers=viewer, params={"max_seconds": 3}, timeout=30) as stream:
        lines = stream.iter_lines()
        next(lines)
        second = _post_feedback(live_server, admin, "two")
        seen = next(_events(lines))
    assert seen["data"] == {"feedback_ids": [second]}
    # Two more while away: a resumed stream replays both, after the one it saw, and nothing older.
    missed = [_post_feedback(live_server, admin, "three"), _post_feedback(live_server, admin, "four")]
    resumed = {**viewer, "Last-Event-ID": str(seen["id"])}
    with httpx.stream("GET", url, headers=resumed, params={"max_seconds": 2}, timeout=30) as stream:
        replayed = list(_events(stream.iter_lines()))
    assert [e["data"]["feedback_ids"][0] for e in replayed] == missed
    assert all(e["id"] > seen["id"] for e in replayed) and first not in {e["data"]["feedback_ids"][0] for e in replayed}


def test_agents_get_only_their_teams_case_events(live_server: LiveServer, db: Database) -> None:
    with db.unit_of_work() as session:
        ann, bob = make_user(session), make_user(session)
        mine, theirs = make_team(session, members=[ann]), make_team(session, members=[bob])
        own, _ = open_case(session, make_customer(session).id, 1, team_id=mine.id)
        other, _ = open_case(session, make_customer(session).id, 2, team_id=theirs.id)
        ids = {"ann": ann.id, "own": own.id, "other": other.id}

    def case_ids(headers: dict[str, str]) -> set[int]:
        with httpx.stream(
            "GET",
            f"{live_server.url}/api/v1/stream",
            headers={**headers, "Last-Event-ID": "0"},
            params={"max_seconds": 2},
            timeout=30,
        ) as stream:
            found = list(_events(stream.iter_lines()))
        return {i for e in found if e["event"].startswith("case.") for i in e["data"]["case_ids"]}

    assert case_ids(key_for(db, ids["ann"])) == {ids["own"]}
    assert case_ids(make_key(db, Role.admin)) == {ids["own"], ids["other"]}


def test_refused_without_a_key_or_with_a_bad_last_event_id(live_server: LiveServer, db: Database) -> None:
    url = f"{live_server.url}/api/v1/stream"
    refused = httpx.get(url, timeout=10)
    assert refused.status_code == 401 and refused.json()["detail"]
    bad = httpx.get(url, headers={**make_key(db, Role.viewer), "Last-Event-ID": "abc"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "Last-Event-ID"


def test_the_process_caps_its_streams(live_server: LiveServer, db: Database) -> None:
    live_server.app.state.stream_hub.max_streams = 1
    viewer = make_key(db, Role.viewer)
    url = f"{live_server.url}/api/v1/stream"
    with httpx.stream("GET", url, headers=viewer, params={"max_seconds": 5}, timeout=30) as stream:
        lines = stream.iter_lines()  # kept: an iterator dropped closes the response
        assert next(lines).startswith("retry: ")
        full = httpx.get(url, headers=viewer, params={"max_seconds": 1}, timeout=10)
        assert full.status_code == 503 and full.headers["Retry-After"] and full.json()["detail"]
    # The first stream left the hub when its client closed it: a new one is let in.
    for _ in range(100):
        if live_server.app.state.stream_hub.open_streams == 0:
            break
        time.sleep(0.05)
    again = httpx.get(url, headers=viewer, params={"max_seconds": 1}, timeout=10)
    assert again.status_code == 200 and again.text.startswith("retry: ")


def test_a_slow_client_is_dropped_not_buffered(db: Database) -> None:
    """A stream whose queue is full when the hub has more for it leaves the hub; its queue never grows past the
    bound (the client resumes from the outbox with Last-Event-ID)."""

    async def scenario() -> None:
        writer = Writer(db)
        hub = StreamHub(AsyncDatabase(db, writer), max_streams=5, poll_seconds=0.01)
        slow, reading = await hub.subscribe(), await hub.subscribe()
        with db.unit_of_work() as session:
            for number in range(QUEUE_BOUND + 1):
                outbox.emit(session, events.FEEDBACK_RECEIVED, {"feedback_ids": [number + 1]})
        got: list[int] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (slow.dropped and len(got) == QUEUE_BOUND + 1):
            while not reading.queue.empty():  # a client that keeps up: it reads whenever the hub waits
                got.append(reading.queue.get_nowait().payload["feedback_ids"][0])
            await asyncio.sleep(0)
        assert slow.dropped and slow.queue.qsize() == QUEUE_BOUND
        assert not reading.dropped and got == list(range(1, QUEUE_BOUND + 2))
        assert hub.open_streams == 1
        hub.unsubscribe(reading)
        await hub.close()
        writer.stop()

    asyncio.run(scenario())
