"""The generic helpdesk shape: signed with the shared secret or sent with an agent API key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.channels.helpdesk.conftest import counts, fixture, generic_headers, stored_events, stored_feedback
from tests.conftest import make_key

URL = "/webhooks/helpdesk/generic"


def _signed(hooks: TestClient, payload: dict[str, Any], **signing: Any) -> Any:
    body = orjson.dumps(payload)
    return hooks.post(URL, content=body, headers=generic_headers(body, **signing))


def test_a_signed_event_is_recorded_with_its_metrics_and_own_properties(db: Database, hooks: TestClient) -> None:
    response = _signed(hooks, fixture("generic_ticket_solved.json"))

    assert response.status_code == 200, response.text
    [(event, customer)] = stored_events(db)
    assert customer == "cust-cara"
    assert (event.name, event.source, event.external_id) == ("ticket_solved", "freshdesk", "fd-evt-551")
    assert event.occurred_at == datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    assert event.properties == {
        "region": "emea",
        "ticket_id": "T-551",
        "status": "resolved",
        "channel": "voice",
        "priority": "urgent",
        "subject": "Line down",
        "agent": "Lee Ops",
        "agent_id": "a-17",
        "team": "Tier 2",
        "wait_minutes": 4.5,
        "handle_minutes": 38.0,
        "transfers": 2,
        "reopens": 0,
    }


def test_a_phone_transcript_becomes_a_call_transcript(db: Database, hooks: TestClient) -> None:
    _signed(hooks, fixture("generic_ticket_solved.json"))

    transcript, note = stored_feedback(db)
    assert (transcript.kind, transcript.external_id, transcript.source) == (
        "call_transcript",
        "fd-evt-551:transcript",
        "freshdesk",
    )
    assert transcript.text.startswith("[2026-11-21 14:20] Cara Diaz: Our line has been down since the morning.")
    assert (note.kind, note.external_id, note.author) == ("note", "T-551:note:n-1", "Lee Ops")


def test_an_agent_key_may_send_it_and_a_viewer_key_may_not(db: Database, hooks: TestClient) -> None:
    payload = fixture("generic_ticket_solved.json")
    viewer = hooks.post(URL, json=payload, headers=make_key(db, Role.viewer))
    agent = hooks.post(URL, json=payload, headers=make_key(db, Role.agent))
    again = hooks.post(URL, json=payload, headers=make_key(db, Role.agent))

    assert viewer.status_code == 403
    assert agent.status_code == 200 and agent.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert counts(db)["events"] == 1


def test_unauthenticated_or_wrongly_signed_requests_store_nothing(db: Database, hooks: TestClient) -> None:
    payload = fixture("generic_ticket_solved.json")
    anonymous = hooks.post(URL, json=payload)
    forged = _signed(hooks, payload, secret="guessed")

    assert anonymous.status_code == forged.status_code == 401
    assert "X-Cxloop-Signature" in anonymous.json()["detail"]
    assert forged.json()["detail"] == "the X-Cxloop-Signature does not match the body"
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_missing_and_invalid_fields_are_a_400_naming_each(db: Database, hooks: TestClient) -> None:
    payload = fixture("generic_ticket_solved.json")
    del payload["ticket"]["id"]
    payload["event"] = "ticket_exploded"
    payload["metrics"]["transfers"] = -1
    payload["customer"]["email"] = "cara-at-example"

    response = _signed(hooks, payload)

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {
        "ticket.id",
        "event",
        "metrics.transfers",
        "customer.email",
    }
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_own_properties_may_not_overwrite_cxloops(hooks: TestClient) -> None:
    payload = fixture("generic_ticket_solved.json")
    payload["properties"] = {"agent": "someone else"}

    response = _signed(hooks, payload)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "properties.agent", "message": "is set by cxloop; send it in its own field"}
    ]


def test_an_event_in_the_future_is_refused(db: Database, hooks: TestClient) -> None:
    payload = fixture("generic_ticket_solved.json") | {"occurred_at": "2999-01-01T00:00:00Z"}

    response = _signed(hooks, payload)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "occurred_at", "message": "is in the future"}]
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_a_note_that_cannot_be_stored_refuses_the_whole_webhook(db: Database, hooks: TestClient) -> None:
    payload = fixture("generic_ticket_solved.json")
    payload["notes"][0]["at"] = "2999-01-01T00:00:00Z"

    response = _signed(hooks, payload)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "note T-551:note:n-1: posted_at", "message": "is in the future"}]
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}  # the event and the customer rolled back too
