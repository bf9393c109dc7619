"""Builders for the follow-up tests: a support team, a customer with a case, templates, signed inbound replies."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.branding import service as branding
from cxloop.cases import service as cases
from cxloop.cases.models import FollowUp
from cxloop.cases.schemas import RoutingRuleIn
from cxloop.core.config import Settings
from cxloop.governance import policy as contact_policy
from cxloop.storage.database import Database
from tests.cases.follow_ups.conftest import MAILGUN_KEY
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer

EMAIL_TEMPLATE = {
    "name": "apology",
    "channel": "email",
    "subject": "About your feedback ({case_reference})",
    "body": "Hi {first_name},\n\nthank you for telling us. We at {organisation} are on it.\n\n{agent_name}",
    "translations": {
        "de": {
            "subject": "Zu Ihrem Feedback ({case_reference})",
            "body": "Hallo {first_name},\n\ndanke für Ihre Nachricht. Wir bei {organisation} kümmern uns.",
        }
    },
}
SMS_TEMPLATE = {
    "name": "apology",
    "channel": "sms",
    "body": "Hi {first_name}, {organisation} here about {case_reference}: sorry! Reply to tell us more.",
}


@dataclass
class World:
    team: int
    agent: int
    outsider: int
    customer: int
    case: int


def build(db: Database, **customer: Any) -> World:
    """A support team (agent Ann) taking every case, another team's agent, and a customer with an open case."""
    customer.setdefault("name", "Grete Muster")
    customer.setdefault("email", "grete@example.com")
    with db.unit_of_work() as session:
        ann, otto = make_user(session, name="Ann"), make_user(session, name="Otto")
        team = make_team(session, key="support", members=[ann])
        make_team(session, key="other", members=[otto])
        cases.replace_rules(session, items=[RoutingRuleIn(name="everything", team_id=team.id)])
        branding.update(session, {"organisation_name": "Acme"}, now=datetime.now(UTC))
        person = make_customer(session, **customer)
        case, _ = open_case(session, person.id, 1)
        # Quiet hours would hold SMS at night (the tests run at any hour); one test covers them on its own.
        contact_policy.current_policy(session).quiet_channels = []
        return World(team.id, ann.id, otto.id, person.id, case.id)


def key_for(db: Database, user_id: int | None, role: Role = Role.agent) -> dict[str, str]:
    with db.unit_of_work() as session:
        _, plain = access.create_api_key(session, name="a key", role=role, user_id=user_id)
    return {"Authorization": f"Bearer {plain}"}


def follow_up_row(db: Database, follow_up_id: int) -> FollowUp:
    with db.unit_of_work() as session:
        row = session.get_one(FollowUp, follow_up_id)
        session.expunge(row)
        return row


def follow_up_ids(db: Database) -> list[int]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(FollowUp.id).order_by(FollowUp.id)).all())


@dataclass(frozen=True)
class Runtime:
    """What the follow-up jobs get from the worker."""

    settings: Settings
    database: Database


def mailgun_form(recipient: str, text: str, **extra: str) -> dict[str, str]:
    """A reply as a Mailgun route forwards it, signed with the signing key (timestamp + token, HMAC-SHA256)."""
    timestamp, token = str(int(time.time())), secrets.token_hex(25)
    signature = hmac.new(MAILGUN_KEY.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {
        "recipient": recipient,
        "sender": "grete@example.com",
        "from": "Grete Muster <grete@example.com>",
        "subject": "Re: About your feedback",
        "body-plain": f"{text}\n\nOn Monday, Acme wrote:\n> Hi Grete",
        "stripped-text": text,
        "Message-Id": f"<{secrets.token_hex(8)}@mail.example.com>",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
        **extra,
    }


def post_reply(client: TestClient, form: dict[str, str], *, multipart: bool = False) -> Response:
    if multipart:  # as Mailgun posts a reply with attachments (which are read past)
        files = {"attachment-1": ("screenshot.png", b"\x89PNG not really", "image/png")}
        return client.post("/webhooks/email/mailgun/inbound", data=form, files=files)
    return client.post("/webhooks/email/mailgun/inbound", data=form)
