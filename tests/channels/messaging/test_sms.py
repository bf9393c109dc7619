"""SMS invitations through a local server speaking Twilio's REST API, and customers' replies posted to the inbound
webhook with real Twilio signatures: scores, comments, STOP/START, corrections, and refused webhooks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.channels.delivery import DeliveryPostponed, deliver
from cxloop.collection import service as collection
from cxloop.collection.models import Response
from cxloop.core.config import Settings
from cxloop.governance import consent
from cxloop.governance.models import ConsentChange
from cxloop.invitations import service as invitations
from cxloop.invitations.models import Invitation
from cxloop.jobs import leases
from cxloop.storage.database import Database
from cxloop.surveys.schemas import SurveyDefinition
from tests.channels.messaging.conftest import TwilioServer
from tests.channels.messaging.world import (
    PUBLIC_URL,
    SMS_ACCOUNT_SID,
    SMS_AUTH_TOKEN,
    SMS_FROM,
    inbound_payload,
    invite,
    make_customer,
    make_survey,
    noon_today,
    opt_in_sms,
    post_sms,
    signer_of,
    twilio_signature,
)

PHONE = "+4915112345678"


def _sms_invitation(
    db: Database, settings: Settings, *, template: str = "relationship-nps", locale: str | None = "en"
) -> tuple[int, int]:
    """(invitation id, customer id) of an SMS invitation sent through the fake provider."""
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session, template)
        customer = make_customer(session, phone=PHONE, locale=locale)
        opt_in_sms(session, customer.id)
        invitation = invite(session, survey, customer.id, "sms", at)
        assert invitation.status == "scheduled", invitation.reason
    deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    return invitation.id, customer.id


def _xml(text: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{text}</Message></Response>'


def _responses(db: Database) -> list[Any]:
    with db.unit_of_work() as session:
        ids = session.scalars(select(Response.id).order_by(Response.id)).all()
        return [collection.require_response(session, response_id=i) for i in ids]


def _ledger_size(db: Database) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(ConsentChange)) or 0)


def test_an_sms_invitation_goes_out_through_twilios_rest_api(
    db: Database, settings: Settings, sms_server: TwilioServer
) -> None:
    invitation_id, _ = _sms_invitation(db, settings)

    (call,) = sms_server.calls
    assert call.path == f"/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json"
    assert call.basic_auth == (SMS_ACCOUNT_SID, SMS_AUTH_TOKEN)
    assert call.content_type == "application/x-www-form-urlencoded"
    assert sorted(call.form) == ["Body", "From", "StatusCallback", "To"]
    assert call.form["To"] == [PHONE] and call.form["From"] == [SMS_FROM]
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        token = invitations.token_for(signer_of(settings), invitation)
        assert invitation.status == "sent"
        assert invitation.detail == f"SM{1:032x}"  # the SID the provider answered with
    assert call.form["Body"] == [
        "How likely are you to recommend us to a friend or colleague?\n"
        f"Reply 0-10 or answer here: {PUBLIC_URL}/s/{token}\n"
        "Reply STOP to opt out."
    ]


def test_the_sms_is_worded_in_the_customers_language(
    db: Database, settings: Settings, sms_server: TwilioServer
) -> None:
    _sms_invitation(db, settings, template="post-support-csat", locale="es")
    (body,) = sms_server.sent_bodies()
    assert body.startswith("¿Qué tan satisfecho está con la ayuda que recibió?\nResponda 1-5 o conteste aquí: ")
    assert body.endswith("Responda STOP para darse de baja.")


def test_a_branded_sms_opens_with_who_is_asking(db: Database, settings: Settings, sms_server: TwilioServer) -> None:
    from cxloop.branding import service as branding  # noqa: PLC0415  (only this test sets a brand)

    with db.unit_of_work(write=True) as session:
        branding.update(session, {"organisation_name": "Larkspur"}, now=noon_today())
    _sms_invitation(db, settings)
    (body,) = sms_server.sent_bodies()
    assert body.startswith("Larkspur: How likely are you to recommend us")


def test_a_score_then_a_comment_make_one_complete_response(
    db: Database, settings: Settings, sms_server: TwilioServer, client: TestClient
) -> None:
    invitation_id, customer_id = _sms_invitation(db, settings)

    first = post_sms(client, inbound_payload(PHONE, " 9 "))
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/xml")
    assert first.text == _xml("Great to hear! What do you like most about us?")
    (partial,) = _responses(db)
    assert (partial.nps, partial.is_partial, partial.channel, partial.customer_id) == (9, True, "sms", customer_id)

    second = post_sms(client, inbound_payload(PHONE, "Fast & friendly support"))
    assert second.text == _xml("Thank you for your feedback!")
    (complete,) = _responses(db)
    assert complete.id == partial.id
    assert complete.is_partial is False
    assert complete.answers == {"nps": 9, "like": "Fast & friendly support"}
    assert complete.comment == "Fast & friendly support"
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        assert (invitation.status, invitation.response_id) == ("answered", complete.id)

    late = post_sms(client, inbound_payload(PHONE, "one more thing"))
    assert late.text == _xml("Thank you, we have your answers already.")
    assert _responses(db)[0].answers == complete.answers
    assert len(sms_server.calls) == 1  # replies go back as TwiML, not through the REST API


def test_a_score_with_a_comment_in_one_message_is_complete(
    db: Database, settings: Settings, client: TestClient
) -> None:
    _sms_invitation(db, settings)
    response = post_sms(client, inbound_payload(PHONE, "4, the delivery was late again"))
    assert response.text == _xml("Thank you for your feedback!")
    (stored,) = _responses(db)
    assert stored.answers == {"nps": 4, "improve": "the delivery was late again"}
    assert stored.is_partial is False


@pytest.mark.parametrize("body", ["11", "42 what", "-1"])
def test_an_out_of_range_score_gets_a_polite_correction_and_stores_nothing(
    db: Database, settings: Settings, client: TestClient, body: str
) -> None:
    _sms_invitation(db, settings)
    response = post_sms(client, inbound_payload(PHONE, body))
    assert response.status_code == 200
    expected = (
        "Please reply with a number from 0 to 10 first."
        if body == "-1"
        else ("Sorry, please reply with a number from 0 to 10.")
    )
    assert response.text == _xml(expected)
    assert _responses(db) == []


def test_stop_opts_out_and_a_later_invitation_is_suppressed(
    db: Database, settings: Settings, sms_server: TwilioServer, client: TestClient
) -> None:
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, phone=PHONE, locale="de")
        opt_in_sms(session, customer.id)
        scheduled = invite(session, survey, customer.id, "sms", at + timedelta(hours=1))
        customer_id, scheduled_id = customer.id, scheduled.id

    response = post_sms(client, inbound_payload(PHONE, "Stop"))

    assert response.text == _xml("Sie erhalten keine SMS mehr von uns. Mit START melden Sie sich wieder an.")
    with db.unit_of_work(write=True) as session:
        changes = consent.history(session, customer_id=customer_id)
        assert [(c.channel, c.granted, c.source, c.actor) for c in changes][-1] == (
            "sms",
            False,
            "sms_reply",
            "customer",
        )
    # Scheduled before the STOP, due after it: re-checked at send time and suppressed.
    deliver(db, scheduled_id, settings=settings, signer=signer_of(settings), now=at + timedelta(hours=1))
    with db.unit_of_work(write=True) as session:
        invitation = invitations.get(session, scheduled_id)
        assert (invitation.status, invitation.reason) == ("suppressed", "opted_out")
        other = make_survey(session, "post-support-csat")
        later = invite(session, other, customer_id, "sms", at + timedelta(days=1))
        assert (later.status, later.reason) == ("suppressed", "opted_out")
    assert sms_server.calls == []

    before = _ledger_size(db)
    post_sms(client, inbound_payload(PHONE, "STOP"))
    assert _ledger_size(db) == before  # a repeated STOP is stored once

    started = post_sms(client, inbound_payload(PHONE, "start"))
    assert started.text == _xml("Sie erhalten wieder SMS von uns. STOP zum Abmelden.")
    with db.unit_of_work() as session:
        assert consent.states_of(session, [customer_id])[customer_id][("*", "sms")] is True
        assert consent.history(session, customer_id=customer_id)[-1].source == "sms_reply"


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit."])
def test_every_carrier_stop_word_opts_out(db: Database, settings: Settings, client: TestClient, word: str) -> None:
    _, customer_id = _sms_invitation(db, settings)
    post_sms(client, inbound_payload(PHONE, word))
    with db.unit_of_work() as session:
        assert consent.states_of(session, [customer_id])[customer_id][("*", "sms")] is False


def test_messages_from_unknown_numbers_get_an_empty_answer(
    db: Database, settings: Settings, client: TestClient
) -> None:
    _sms_invitation(db, settings)
    response = post_sms(client, inbound_payload("+15550001111", "9"))
    assert response.status_code == 200
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert _responses(db) == []


def test_the_signature_covers_the_query_string_and_the_public_url(
    db: Database, settings: Settings, client: TestClient
) -> None:
    _sms_invitation(db, settings)
    payload = inbound_payload(PHONE, "10 lovely")
    # Signed for another host than CXLOOP_PUBLIC_URL: Twilio did not request this URL.
    wrong_host = post_sms(client, payload, url="https://elsewhere.example.com/webhooks/sms/twilio")
    assert wrong_host.status_code == 401
    # The default port may or may not be part of what Twilio signed.
    with_port = post_sms(client, payload, url="https://feedback.example.com:443/webhooks/sms/twilio")
    assert with_port.status_code == 200
    assert _responses(db)[0].nps == 10


@pytest.mark.parametrize("signature", [None, "", "bm90IHRoZSBzaWduYXR1cmU=", "compute-with-wrong-token"])
def test_unsigned_or_wrongly_signed_webhooks_get_401_and_store_nothing(
    db: Database, settings: Settings, client: TestClient, signature: str | None
) -> None:
    _sms_invitation(db, settings)
    before = _ledger_size(db)
    payload = inbound_payload(PHONE, "STOP")
    if signature == "compute-with-wrong-token":
        signature = twilio_signature(f"{PUBLIC_URL}/webhooks/sms/twilio", payload, auth_token="not-the-token")
    response = post_sms(client, payload, signature=signature)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert _ledger_size(db) == before
    assert _responses(db) == []


def test_a_tampered_body_fails_the_signature(db: Database, settings: Settings, client: TestClient) -> None:
    _sms_invitation(db, settings)
    payload = inbound_payload(PHONE, "2")
    signature = twilio_signature(f"{PUBLIC_URL}/webhooks/sms/twilio", payload)
    response = post_sms(client, {**payload, "Body": "10"}, signature=signature)
    assert response.status_code == 401
    assert _responses(db) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"From": None}, "From"),
        ({"From": "not a number"}, "From"),
        ({"MessageSid": None}, "MessageSid"),
        ({"MessageSid": "SM123"}, "MessageSid"),
        ({"Body": None}, "Body"),
        ({"Body": "x" * 1601}, "Body"),
    ],
)
def test_malformed_signed_payloads_get_400_naming_the_field(
    db: Database, settings: Settings, client: TestClient, change: dict[str, str | None], field: str
) -> None:
    _sms_invitation(db, settings)
    payload = inbound_payload(PHONE, "9")
    for name, value in change.items():
        if value is None:
            payload.pop(name)
        else:
            payload[name] = value
    response = post_sms(client, payload)
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert _responses(db) == []


def test_a_json_body_is_refused_with_400(db: Database, settings: Settings, client: TestClient) -> None:
    response = client.post(
        "/webhooks/sms/twilio", json={"From": PHONE, "Body": "9"}, headers={"X-Twilio-Signature": "abc"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "content-type"


def test_a_number_the_provider_refuses_fails_the_invitation(
    db: Database, settings: Settings, sms_server: TwilioServer
) -> None:
    sms_server.fail_with = (
        400,
        {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400},
    )
    invitation_id, _ = _sms_invitation(db, settings)
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        assert invitation.status == "failed"
        assert invitation.detail == (
            "SMS provider refused the message (HTTP 400, code 21211): The 'To' number is not a valid phone number."
        )


def test_a_provider_outage_postpones_the_send(db: Database, settings: Settings, sms_server: TwilioServer) -> None:
    sms_server.fail_with = (503, {"message": "Service Unavailable"})
    with pytest.raises(DeliveryPostponed, match="HTTP 503"):
        _sms_invitation(db, settings)
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0
        (invitation,) = session.scalars(select(Invitation)).all()
        assert invitation.status == "scheduled"  # left due for the next sweep, after the retry delay
        invitation_id = invitation.id
    sms_server.fail_with = None
    deliver(db, invitation_id, settings=settings, signer=signer_of(settings), now=noon_today() + leases.RETRY_DELAY)
    with db.unit_of_work() as session:
        assert invitations.get(session, invitation_id).status == "sent"


def test_a_known_number_without_an_open_survey_and_help_get_plain_answers(
    db: Database, settings: Settings, client: TestClient
) -> None:
    with db.unit_of_work(write=True) as session:
        make_customer(session, phone=PHONE, locale="en")
    assert post_sms(client, inbound_payload(PHONE, "9")).text == _xml(
        "Thank you for your message. There is no open survey for this number."
    )
    assert post_sms(client, inbound_payload(PHONE, "help")).text == _xml(
        "Reply with a number to answer our survey. Reply STOP to opt out, START to opt back in."
    )
    assert _responses(db) == []


def test_a_survey_that_opens_with_a_choice_is_answered_on_the_hosted_page(
    db: Database, settings: Settings, sms_server: TwilioServer, client: TestClient
) -> None:
    definition = {
        "questions": [
            {
                "id": "plan",
                "kind": "single_choice",
                "text": {"en": "Which plan are you on?"},
                "options": [{"key": "free", "text": {"en": "Free"}}, {"key": "pro", "text": {"en": "Pro"}}],
            }
        ]
    }
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session, key="plans", definition=SurveyDefinition.model_validate(definition))
        customer = make_customer(session, phone=PHONE)
        opt_in_sms(session, customer.id)
        invitation = invite(session, survey, customer.id, "sms", at)
        link = f"{PUBLIC_URL}/s/{invitations.token_for(signer_of(settings), invitation)}"
    deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    assert sms_server.sent_bodies() == [f"Which plan are you on?\nPlease answer here: {link}\nReply STOP to opt out."]
    assert post_sms(client, inbound_payload(PHONE, "pro")).text == _xml(f"Please answer here: {link}")
    assert _responses(db) == []
