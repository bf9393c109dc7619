"""Zendesk trigger webhooks, signed as Zendesk signs them: events, linking, transcripts, resends, refusals."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from cxloop.customers.models import Customer
from cxloop.storage.database import Database
from tests.channels.helpdesk.conftest import Post, counts, fixture, stored_events, stored_feedback
from tests.factories.customers import make_customer


def test_signed_ticket_solved_records_the_event_with_its_properties_for_the_known_customer(
    db: Database, post_zendesk: Post
) -> None:
    with db.unit_of_work() as session:
        make_customer(session, external_id="cust-ann", email="ann@example.com")

    response = post_zendesk(fixture("zendesk_ticket_solved.json"))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "ignored": False,
        "event": "ticket_solved",
        "duplicate": False,
        "customer_external_id": "cust-ann",
        "feedback_created": 2,
        "feedback_duplicates": 0,
    }
    [(event, customer)] = stored_events(db)
    assert customer == "cust-ann"
    assert (event.name, event.source) == ("ticket_solved", "zendesk")
    assert event.external_id == "35436:ticket_solved:2026-11-20T11:30:00+00:00"
    assert event.occurred_at == datetime(2026, 11, 20, 11, 30, tzinfo=UTC)
    assert event.properties == {
        "ticket_id": "35436",
        "status": "solved",
        "channel": "web",
        "priority": "high",
        "subject": "Refund not received",
        "agent": "Sam Agent",
        "agent_id": "9001",
        "team": "Billing",
        "wait_minutes": 12.0,
        "handle_minutes": 150.0,
        "transfers": 1,
        "reopens": 1,
    }
    assert counts(db)["customers"] == 1  # linked, not duplicated


def test_public_comments_become_one_transcript_and_private_ones_agent_notes(db: Database, post_zendesk: Post) -> None:
    assert post_zendesk(fixture("zendesk_ticket_solved.json")).status_code == 200

    transcript, note = stored_feedback(db)
    assert (transcript.kind, transcript.source, transcript.channel) == ("email", "zendesk", "support")
    assert transcript.external_id == "35436:ticket_solved:2026-11-20T11:30:00+00:00:transcript"
    assert transcript.text == (
        "[2026-11-20 09:00] customer: I was charged twice for my order.\n\n"
        "[2026-11-20 11:25] Sam Agent: The refund is on its way, sorry for the trouble!"
    )
    assert (note.kind, note.external_id, note.author) == ("note", "35436:note:2", "Sam Agent")
    assert note.text == "VIP customer; finance approved the refund."
    assert transcript.customer_id == note.customer_id is not None
    assert transcript.meta == {"ticket_id": "35436", "event": "35436:ticket_solved:2026-11-20T11:30:00+00:00"}


def test_a_resent_webhook_is_stored_once(db: Database, post_zendesk: Post) -> None:
    payload = fixture("zendesk_ticket_solved.json")
    first = post_zendesk(payload)
    before = counts(db)

    again = post_zendesk(payload)  # Zendesk retries with a fresh signature and timestamp

    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["feedback_duplicates"] == 2 and again.json()["feedback_created"] == 0
    assert counts(db) == before == {"events": 1, "feedback": 2, "customers": 1}


def test_a_second_solve_after_a_reopen_is_a_new_event(db: Database, post_zendesk: Post) -> None:
    payload = fixture("zendesk_ticket_solved.json")
    post_zendesk(payload)
    later = copy.deepcopy(payload)
    later["ticket"]["updated_at"] = "2026-11-22T08:00:00Z"
    later["ticket"]["comments"] = []

    response = post_zendesk(later)

    assert response.json()["duplicate"] is False
    assert [e.name for e, _ in stored_events(db)] == ["ticket_solved", "ticket_solved"]


def test_ticket_created_from_a_new_ticket_without_an_event_name(db: Database, post_zendesk: Post) -> None:
    payload = fixture("zendesk_ticket_solved.json")
    del payload["event"]
    payload["ticket"].update(status="New", comments=[], metrics={})

    assert post_zendesk(payload).status_code == 200

    [(event, _)] = stored_events(db)
    assert (event.name, event.external_id) == ("ticket_created", "35436:ticket_created")
    assert event.occurred_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert event.properties["handle_minutes"] is None and event.properties["reopens"] is None


def test_a_requester_known_only_by_email_is_linked_to_that_customer(db: Database, post_zendesk: Post) -> None:
    with db.unit_of_work() as session:
        make_customer(session, external_id="crm-42", email="ann@example.com")
    payload = fixture("zendesk_ticket_solved.json")
    payload["ticket"]["requester"]["external_id"] = ""  # what {{ticket.requester.external_id}} renders when unset
    payload["ticket"]["requester"]["email"] = "Ann@Example.com"

    response = post_zendesk(payload)

    assert response.json()["customer_external_id"] == "crm-42"
    assert [customer for _, customer in stored_events(db)] == ["crm-42"]
    assert counts(db)["customers"] == 1


def test_an_unknown_requester_becomes_a_customer_keyed_by_email(db: Database, post_zendesk: Post) -> None:
    payload = fixture("zendesk_ticket_solved.json")
    payload["ticket"]["requester"]["external_id"] = ""

    post_zendesk(payload)

    with db.unit_of_work() as session:
        [customer] = session.query(Customer).all()
        assert (customer.external_id, customer.email, customer.name) == (
            "ann@example.com",
            "ann@example.com",
            "Ann Smith",
        )


def test_wrong_signature_is_refused_and_nothing_stored(db: Database, post_zendesk: Post) -> None:
    response = post_zendesk(fixture("zendesk_ticket_solved.json"), secret="not-the-secret")

    assert response.status_code == 401
    assert response.json()["detail"] == "the Zendesk signature does not match the body and timestamp"
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_unsigned_and_stale_requests_are_refused(db: Database, hooks: TestClient, post_zendesk: Post) -> None:
    unsigned = hooks.post("/webhooks/helpdesk/zendesk", json=fixture("zendesk_ticket_solved.json"))
    old = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stale = post_zendesk(fixture("zendesk_ticket_solved.json"), timestamp=old)

    assert unsigned.status_code == stale.status_code == 401
    assert "X-Zendesk-Webhook-Signature" in unsigned.json()["detail"]
    assert "more than an hour" in stale.json()["detail"]
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_without_a_configured_secret_every_request_is_refused(api: TestClient) -> None:
    response = api.post("/webhooks/helpdesk/zendesk", json={"ticket": {"id": "1"}})

    assert response.status_code == 401
    assert "CXLOOP_ZENDESK_WEBHOOK_SECRET" in response.json()["detail"]


def test_malformed_json_is_a_400_naming_the_body(db: Database, post_zendesk: Post) -> None:
    response = post_zendesk(b'{"ticket": {"id": ')

    assert response.status_code == 400
    assert response.json()["detail"] == "the body is not valid JSON"
    assert [e["field"] for e in response.json()["errors"]] == ["body"]
    assert counts(db)["events"] == 0


def test_missing_and_invalid_fields_are_a_400_naming_each(db: Database, post_zendesk: Post) -> None:
    payload = fixture("zendesk_ticket_solved.json")
    payload["ticket"]["id"] = ""
    payload["ticket"]["requester"]["email"] = "not-an-address"
    payload["ticket"]["metrics"]["reopens"] = "twice"
    payload["ticket"]["comments"][1]["id"] = None

    response = post_zendesk(payload)

    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "ticket.id": "is required",
        "ticket.requester.email": "is not a valid email address",
        "ticket.metrics.reopens": "must be a number of at least 0",
        "ticket.comments.1.id": "is required",
    }
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_a_solved_ticket_needs_a_time_and_an_open_one_an_event_name(post_zendesk: Post) -> None:
    payload = fixture("zendesk_ticket_solved.json")
    del payload["ticket"]["updated_at"]
    undated = post_zendesk(payload)
    payload = fixture("zendesk_ticket_solved.json")
    del payload["event"]
    payload["ticket"]["status"] = "Open"
    unnamed = post_zendesk(payload)

    assert undated.status_code == unnamed.status_code == 400
    assert [e["field"] for e in undated.json()["errors"]] == ["ticket.updated_at"]
    assert [e["field"] for e in unnamed.json()["errors"]] == ["event"]
