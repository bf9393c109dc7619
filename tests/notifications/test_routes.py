"""/api/v1/webhooks: admins register destinations (the secret shown once), see their health, test, resume, remove,
and list and retry dead letters; bad input is a 422 naming the field."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.notifications.conftest import FAST, later, sender, store_feedback
from tests.notifications.receiver import Receiver, Reply


def test_register_list_test_and_remove_a_webhook(api: TestClient, db: Database, receiver: Receiver) -> None:
    made = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["feedback.received", "case.created"]})
    assert made.status_code == 201
    hook = made.json()
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["case.created", "feedback.received"]
    listed = api.get("/api/v1/webhooks").json()
    assert [d["id"] for d in listed] == [hook["id"]] and "secret" not in listed[0]
    assert "secret" not in api.get(f"/api/v1/webhooks/{hook['id']}").json()
    queued = api.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert queued.status_code == 202
    assert sender(db).run_pass() == 1
    got = receiver.requests[0]
    assert Webhook(hook["secret"]).verify(got.body, got.headers)["type"] == "webhook.test"
    assert got.headers["webhook-id"] == queued.json()["webhook_id"]
    message = api.get(f"/api/v1/webhooks/messages/{queued.json()['message_id']}").json()
    assert (message["status"], message["event_name"]) == ("delivered", "webhook.test")
    assert api.get(f"/api/v1/webhooks/{hook['id']}").json()["last_success_at"] is not None
    assert api.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert api.get("/api/v1/webhooks").json() == []
    assert api.get(f"/api/v1/webhooks/{hook['id']}").status_code == 404


def test_bad_destinations_are_refused_naming_the_field(api: TestClient) -> None:
    for body, field in (
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://example.com", "events": ["response.recieved"]}, "events"),
        ({"url": "https://example.com", "events": []}, "events"),
        ({"url": "https://example.com", "kind": "sms"}, "kind"),
        ({"url": "https://example.com", "secret": "whsec_x"}, "secret"),
    ):
        bad = api.post("/api/v1/webhooks", json=body)
        assert bad.status_code == 422, body
        assert bad.json()["errors"][0]["field"] == field, bad.json()
    assert api.post("/api/v1/webhooks/999/resume").status_code == 404
    assert api.post("/api/v1/webhooks/999/test").status_code == 404
    assert api.get("/api/v1/webhooks/messages?status=lost").status_code == 422


def test_dead_letters_are_listed_and_retried_and_a_paused_destination_resumed(
    api: TestClient, db: Database, receiver: Receiver
) -> None:
    hook = api.post("/api/v1/webhooks", json={"url": receiver.url}).json()
    receiver.default = Reply(500)
    send = sender(db, replace(FAST, max_attempts=1, pause_after=1))
    store_feedback(db)
    send.run_pass()
    health = api.get(f"/api/v1/webhooks/{hook['id']}").json()
    assert health["paused_at"] is not None and health["failures_in_a_row"] == 1 and health["dead"] == 1
    dead = api.get("/api/v1/webhooks/messages", params={"status": "dead"}).json()
    assert dead["total"] == 1 and dead["items"][0]["last_error"] == "HTTP 500"
    receiver.default = Reply(200)
    assert api.post(f"/api/v1/webhooks/messages/{dead['items'][0]['id']}/retry").json() == {"count": 1}
    assert api.post("/api/v1/webhooks/messages/retry").json() == {"count": 0}
    assert send.run_pass(now=later(3600)) == 0  # paused: nothing goes
    resumed = api.post(f"/api/v1/webhooks/{hook['id']}/resume").json()
    assert resumed["paused_at"] is None and resumed["pending"] == 1
    assert send.run_pass() == 1
    assert api.get("/api/v1/webhooks/messages").json()["items"][0]["status"] == "delivered"


def test_only_admins_manage_webhooks(client: TestClient, db: Database) -> None:
    analyst = make_key(db, Role.analyst)
    assert client.get("/api/v1/webhooks", headers=analyst).status_code == 403
    assert client.post("/api/v1/webhooks", json={"url": "https://example.com"}).status_code == 401
