"""Builders for the email and SMS tests: real surveys from the templates, customers, invitations through the
contact policy, and Twilio-signed inbound webhooks computed here, independently of cxloop's own validator."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from cxloop.core.config import Settings
from cxloop.invitations import service as invitations
from cxloop.invitations.models import Invitation
from cxloop.invitations.tokens import TokenSigner
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.models import Survey
from cxloop.surveys.templates import get_template
from tests.factories.consent import record_consent
from tests.factories.customers import make_customer

__all__ = ["make_customer"]

PUBLIC_URL = "https://feedback.example.com"
SMS_ACCOUNT_SID = "AC" + "0" * 32
SMS_AUTH_TOKEN = "test-auth-token-12345"
SMS_FROM = "+15005550006"
EMAIL_WEBHOOK_SECRET = "test-email-webhook-secret"


def noon_today() -> datetime:
    """The last noon UTC that has passed: a daytime instant (no quiet hours for customers in UTC) near the real clock,
    so tokens are fresh, and never in the future (answers and events dated later than now are refused)."""
    now = datetime.now(UTC)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon <= now else noon - timedelta(days=1)


def signer_of(settings: Settings) -> TokenSigner:
    return TokenSigner.of(settings)


def make_survey(session: Session, template: str = "relationship-nps", **update: Any) -> Survey:
    data = get_template(template).model_copy(update={"status": SurveyStatus.live, **update})
    return surveys.create_survey(session, data=data)


def opt_in_sms(session: Session, customer_id: int) -> None:
    record_consent(session, customer_id, channel="sms", granted=True)


def invite(session: Session, survey: Survey, customer_id: int, channel: str, at: datetime) -> Invitation:
    request = invitations.InviteRequest(survey_id=survey.id, customer_id=customer_id, channel=channel, at=at)
    return invitations.invite(session, request, now=at)


def twilio_signature(url: str, params: dict[str, str], auth_token: str = SMS_AUTH_TOKEN) -> str:
    """Twilio's documented algorithm: URL + each parameter name and value, sorted by name; HMAC-SHA1; base64."""
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


_sequence = {"n": 0}


def inbound_payload(sender: str, body: str) -> dict[str, str]:
    """An inbound message as Twilio posts it (every field Twilio sends for a plain SMS)."""
    _sequence["n"] += 1
    sid = f"SM{_sequence['n']:032x}"
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "DE",
        "To": SMS_FROM,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": SMS_ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


WEBHOOK_PATH = "/webhooks/sms/twilio"


def post_sms(
    client: TestClient, payload: dict[str, str], *, signature: str | None = "compute", url: str | None = None
) -> Response:
    """POST the payload to the SMS webhook, signed for the public URL (or with the given/absent signature)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "compute":
        signature = twilio_signature(url or f"{PUBLIC_URL}{WEBHOOK_PATH}", payload)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(WEBHOOK_PATH, content=urlencode(payload), headers=headers)
