"""The factories build valid objects through the services: what they return is what the services stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from cxloop.invitations import service as invitations
from cxloop.journeys import service as journeys
from cxloop.storage.database import Database
from cxloop.triggers import service as triggers
from tests.factories.invitations import TEST_SIGNER, make_invitation
from tests.factories.journeys import make_journey, make_stage, make_touchpoint
from tests.factories.triggers import live_survey, make_rule


def test_an_invitation_is_scheduled_under_the_policy_and_its_token_opens_it(db: Database) -> None:
    with db.unit_of_work() as session:
        made = make_invitation(session)
        assert (made.invitation.status, made.invitation.channel) == ("scheduled", "email")
        assert made.customer.email and made.invitation.customer_id == made.customer.id
        assert invitations.by_token(session, TEST_SIGNER, made.token).id == made.invitation.id


def test_invitation_overrides_reach_the_request(db: Database) -> None:
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        survey_id = live_survey(session).id
        by_sms = make_invitation(
            session, survey_id=survey_id, channel="sms", fallbacks=("email",), sent=True, occurrence_key="o-1", now=now
        )
        assert (by_sms.invitation.survey_id, by_sms.invitation.occurrence_key) == (survey_id, "o-1")
        # No SMS consent: the policy falls back to email, as for any invitation.
        assert (by_sms.invitation.requested_channel, by_sms.invitation.channel) == ("sms", "email")
        assert by_sms.invitation.status == "sent" and by_sms.invitation.sent_at == now
        later = make_invitation(session, customer=by_sms.customer, at=now + timedelta(days=1))
        assert later.customer.id == by_sms.customer.id and later.invitation.survey_id != survey_id
        unreachable = make_invitation(session, survey_id=survey_id, channel="sms")
        assert (unreachable.invitation.status, unreachable.invitation.reason) == ("suppressed", "no_consent")
        with pytest.raises(AssertionError, match="cannot send a suppressed invitation"):
            make_invitation(session, survey_id=survey_id, channel="sms", sent=True)


def test_rules_get_the_fields_their_kind_needs(db: Database) -> None:
    with db.unit_of_work() as session:
        event_rule = make_rule(session)
        time_rule = make_rule(session, event_rule.survey_id, kind="time", offset_days=30)
        assert (event_rule.kind, event_rule.event_name, event_rule.channel) == ("event", "ticket.solved", "email")
        assert (time_rule.kind, time_rule.anchor, time_rule.offset_days) == ("time", "signup_date", 30)
        assert time_rule.survey_id == event_rule.survey_id and time_rule.key != event_rule.key
        assert [r.id for r in triggers.list_rules(session)] == [event_rule.id, time_rule.id]


def test_journeys_stages_and_touchpoints(db: Database) -> None:
    with db.unit_of_work() as session:
        journey = make_journey(session)
        stages = journeys.list_stages(session, journey_id=journey.id)
        assert len(stages) == 2 and len(journeys.list_touchpoints(session, journey_id=journey.id)) == 2
        default = journeys.ensure_default_journey(session)
        stage = make_stage(session, key="renewal-call", touchpoints=[])
        assert (
            stage.journey_id == default.id
            and stage.position == len(journeys.list_stages(session, journey_id=default.id)) - 1
        )
        touchpoint = make_touchpoint(session, stage=stage, recommended_metric="csat")
        assert (touchpoint.stage_id, touchpoint.recommended_metric) == (stage.id, "csat")
        assert make_touchpoint(session).journey_id == default.id


def test_the_token_signed_by_the_apps_signer_opens_the_hosted_page(client: TestClient, db: Database) -> None:
    with db.unit_of_work() as session:
        made = make_invitation(session, sent=True, signer=client.app.state.signer)  # type: ignore[attr-defined]
    assert client.get(f"/s/{made.token}").status_code == 200
    assert client.get(f"/s/{made.token}x").status_code == 404
