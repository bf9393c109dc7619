"""/api/v1/outbox: admins see the outbox's state and dead letters, retry them and replay events; others may not."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.jobs.dead_letters import make_dead_letter, statuses


def test_admins_see_retry_and_replay(api: TestClient, db: Database) -> None:
    event_id, delivery_id = make_dead_letter(db)
    status = api.get("/api/v1/outbox").json()
    assert status["counts"] == [
        {"event": "response.received", "handler": "collection.note_responses_received", "status": "dead", "count": 1}
    ]
    assert status["unrelayed_events"] == 1 and status["oldest_pending_seconds"] >= 0
    (dead,) = status["dead"]
    assert (dead["delivery_id"], dead["event_id"], dead["attempts"]) == (delivery_id, event_id, 8)
    assert dead["last_error"] == "RuntimeError: the partner API is down"
    assert api.post(f"/api/v1/outbox/deliveries/{delivery_id}/retry").json() == {"count": 1}
    assert statuses(db) == [("pending", 0)]
    assert api.post("/api/v1/outbox/retry").json() == {"count": 0}
    assert api.post(f"/api/v1/outbox/events/{event_id}/replay").json() == {"count": 1}
    assert api.post("/api/v1/outbox/replay", json={"name": "response.received"}).json() == {"count": 1}
    assert api.post("/api/v1/outbox/replay", json={"name": "case.created"}).json() == {"count": 0}
    refused = api.post("/api/v1/outbox/replay", json={})
    assert refused.status_code == 422 and "which events" in refused.text
    # a date or a time without offset is UTC (issue 10: a 500 before)
    window = {"name": "response.received", "since": "2000-01-01", "until": "2999-01-01T00:00"}
    assert api.post("/api/v1/outbox/replay", json=window).json() == {"count": 1}
    assert api.post("/api/v1/outbox/replay", json={**window, "since": "2999-01-01"}).json() == {"count": 0}


def test_below_admin_is_refused(client: TestClient, db: Database) -> None:
    make_dead_letter(db)
    for role in (Role.viewer, Role.analyst):
        headers = make_key(db, role)
        assert client.get("/api/v1/outbox", headers=headers).status_code == 403
        assert client.post("/api/v1/outbox/retry", headers=headers).status_code == 403
    assert statuses(db) == [("dead", 8)]
