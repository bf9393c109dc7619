"""Every event's message body validates against the JSON Schema documented in docs/webhooks/message.schema.json,
built from real stored responses, feedback and cases; the schema names exactly the notifiable events."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core.clock import utcnow
from cxloop.jobs import events
from cxloop.notifications import bodies
from cxloop.storage.database import Database
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer
from tests.invitations.conftest import live_survey
from tests.notifications.conftest import store_feedback

SCHEMA = json.loads((Path(__file__).parents[2] / "docs/webhooks/message.schema.json").read_text())


def test_the_schema_documents_every_notifiable_event_and_the_test_message() -> None:
    assert SCHEMA["properties"]["type"]["enum"] == [*events.NOTIFIABLE, "webhook.test"]
    assert all(name in events.catalog for name in events.NOTIFIABLE)


def test_real_response_and_feedback_bodies_validate(db: Database) -> None:
    live_survey(db)
    with db.unit_of_work(write=True) as session:
        ids = collection.record_responses(
            session, items=[ResponseCreate(survey="relationship-nps", nps=n, comment=f"c{n}") for n in (2, 9)]
        ).ids
    feedback_ids = store_feedback(db)
    with db.unit_of_work() as session:
        response_body = bodies.event_body(
            session, name="response.received", payload={"response_ids": ids}, created_at=utcnow()
        )
        feedback_body = bodies.event_body(
            session, name="feedback.received", payload={"feedback_ids": feedback_ids}, created_at=utcnow()
        )
    for body in (response_body, feedback_body, bodies.probe_body(destination_id=1, now=utcnow())):
        jsonschema.validate(body, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert [(r["nps"], r["comment"]) for r in response_body["data"]["responses"]] == [(2, "c2"), (9, "c9")]
    assert response_body["timestamp"].endswith("Z")


SUMMARISED = ("response.received", "feedback.received", "alert.fired", *events.CASE_EVENTS, "anomaly.detected")


@pytest.mark.parametrize("name", [n for n in events.NOTIFIABLE if n not in SUMMARISED])
def test_id_only_event_bodies_validate_and_a_wrong_one_is_refused(name: str) -> None:
    key = next(iter(events.catalog.schema(name).model_fields))
    body = {"type": name, "timestamp": "2026-12-06T18:00:00Z", "data": {key: [1, 2]}}
    jsonschema.validate(body, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "data": {"other_ids": [1]}}, SCHEMA)


def test_real_case_and_sla_bodies_validate_and_bare_ids_are_refused(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        lead = make_user(session, name="Lee Lead")
        team = make_team(session, lead_user_id=lead.id)
        case_id = open_case(session, make_customer(session, name="Jane Roe").id, team_id=team.id)[0].id
    sla = {"case_id": case_id, "clock": "acknowledge", "team_id": team.id, "owner_user_id": None}
    sla |= {"lead_user_id": lead.id, "due_at": "2026-12-06T20:00:00+00:00"}
    with db.unit_of_work() as session:
        for name in events.CASE_EVENTS:
            payload = sla if name.startswith("case.sla") else {"case_ids": [case_id]}
            events.catalog.schema(name).model_validate(payload)  # what the cases domain emits
            body = bodies.event_body(session, name=name, payload=payload, created_at=utcnow())
            jsonschema.validate(body, SCHEMA, format_checker=jsonschema.FormatChecker())
            [case] = body["data"]["cases"]
            assert (case["id"], case["team"]["id"], case["customer"]["name"]) == (case_id, team.id, "Jane Roe")
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate({**body, "data": payload}, SCHEMA)  # the summary is part of the message
