"""Intercom notifications signed with X-Hub-Signature (HMAC-SHA1 of the body with the app's client secret)."""

from __future__ import annotations

from datetime import UTC, datetime

from cxloop.customers.models import Customer
from cxloop.storage.database import Database
from tests.channels.helpdesk.conftest import Post, counts, fixture, stored_events, stored_feedback

CLOSED_AT = datetime.fromtimestamp(1763982000, UTC)


def test_a_closed_conversation_records_chat_ended_for_the_contact(db: Database, post_intercom: Post) -> None:
    response = post_intercom(fixture("intercom_conversation_closed.json"))

    assert response.status_code == 200, response.text
    assert response.json()["customer_external_id"] == "cust-bob"
    [(event, customer)] = stored_events(db)
    assert customer == "cust-bob"
    assert (event.name, event.source, event.occurred_at) == ("chat_ended", "intercom", CLOSED_AT)
    assert event.external_id == f"1911149811:chat_ended:{CLOSED_AT.isoformat()}"
    assert event.properties == {
        "ticket_id": "1911149811",
        "status": "closed",
        "channel": "chat",
        "priority": "high",
        "subject": None,
        "agent": "Kim Admin",
        "agent_id": "814860",
        "team": "5017691",
        "wait_minutes": 5.0,
        "handle_minutes": 60.0,
        "transfers": 2,
        "reopens": 1,
    }


def test_the_new_customer_gets_the_contact_email_and_name(db: Database, post_intercom: Post) -> None:
    post_intercom(fixture("intercom_conversation_closed.json"))

    with db.unit_of_work() as session:
        [customer] = session.query(Customer).all()
        assert (customer.external_id, customer.email, customer.name) == ("cust-bob", "bob@example.com", "Bob Jones")


def test_messages_become_a_plain_text_transcript_and_notes_stay_apart(db: Database, post_intercom: Post) -> None:
    post_intercom(fixture("intercom_conversation_closed.json"))

    transcript, note = stored_feedback(db)
    assert (transcript.kind, transcript.channel, transcript.posted_at) == ("chat_transcript", "chat", CLOSED_AT)
    assert transcript.text == (
        "Bob Jones: Hi, my export keeps failing.\n\n"
        "[2025-11-24 10:05] Kim Admin: Sorry about that! Which browser do you use?\n\n"
        "[2025-11-24 10:10] Bob Jones: Chrome & Firefox both fail.\n\n"
        "[2025-11-24 11:00] Kim Admin: Fixed in today's release, closing."
    )
    assert (note.kind, note.external_id, note.text) == (
        "note",
        "1911149811:note:102",
        "Known bug ENG-42, workaround sent.",
    )


def test_a_redelivered_notification_is_stored_once(db: Database, post_intercom: Post) -> None:
    payload = fixture("intercom_conversation_closed.json")
    post_intercom(payload)
    payload["delivery_attempts"] = 2  # Intercom's retry of the same notification

    again = post_intercom(payload)

    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert counts(db) == {"events": 1, "feedback": 2, "customers": 1}


def test_ping_and_other_topics_are_acknowledged_and_ignored(db: Database, post_intercom: Post) -> None:
    ping = post_intercom({"type": "notification_event", "topic": "ping", "data": {"item": {"type": "ping"}}})
    replied = fixture("intercom_conversation_closed.json") | {"topic": "conversation.admin.replied"}

    assert ping.status_code == 200 and ping.json()["ignored"] is True
    assert post_intercom(replied).json()["ignored"] is True
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_a_signature_from_another_secret_is_refused(db: Database, post_intercom: Post) -> None:
    response = post_intercom(fixture("intercom_conversation_closed.json"), secret="someone-else")

    assert response.status_code == 401
    assert response.json()["detail"] == "the X-Hub-Signature does not match the body"
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_a_missing_conversation_id_is_a_400_naming_it(db: Database, post_intercom: Post) -> None:
    payload = fixture("intercom_conversation_closed.json")
    del payload["data"]["item"]["id"]
    payload["data"]["item"]["statistics"]["count_reopens"] = -1

    response = post_intercom(payload)

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {
        "data.item.id",
        "data.item.statistics.count_reopens",
    }
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}


def test_a_notification_without_a_topic_is_a_400(post_intercom: Post) -> None:
    response = post_intercom({"type": "notification_event", "data": {}})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "topic", "message": "is required"}]
