"""Fixtures for the hosted page and kiosk: live surveys from the templates, invited customers with their tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.collection.models import Response
from cxloop.invitations.models import Invitation
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.schemas import SurveyCreate, SurveyUpdate
from cxloop.surveys.templates import get_template
from tests.factories.customers import make_customer
from tests.factories.invitations import make_invitation


def live_survey(db: Database, template: str, *, key: str | None = None, **changes: Any) -> int:
    data = get_template(template).model_copy(update={"status": SurveyStatus.live, "key": key or template, **changes})
    with db.unit_of_work() as session:
        return surveys.create_survey(session, data=data).id


def custom_survey(db: Database, key: str, questions: list[dict[str, Any]]) -> int:
    data = SurveyCreate.model_validate(
        {"key": key, "name": key, "status": "live", "definition": {"questions": questions}}
    )
    with db.unit_of_work() as session:
        return surveys.create_survey(session, data=data).id


def set_status(db: Database, survey_id: int, status: SurveyStatus) -> None:
    with db.unit_of_work() as session:
        surveys.update_survey(session, survey_id=survey_id, data=SurveyUpdate(status=status))


@dataclass
class Invited:
    invitation_id: int
    customer_id: int
    token: str


def invite(
    client: TestClient, db: Database, survey_id: int, *, locale: str | None = "en", at: datetime | None = None
) -> Invited:
    """A customer invited by email through the service, the invitation marked sent, and its link token."""
    with db.unit_of_work() as session:
        customer = make_customer(session, email="ada@example.com", locale=locale)
        signer = client.app.state.signer  # type: ignore[attr-defined]
        made = make_invitation(session, survey_id=survey_id, customer=customer, sent=True, signer=signer, at=at)
        assert made.invitation.status == "sent", made.invitation.reason
        return Invited(made.invitation.id, customer.id, made.token)


def invitation(db: Database, invitation_id: int) -> Invitation:
    with db.unit_of_work() as session:
        return session.get_one(Invitation, invitation_id)


def responses(db: Database, survey_id: int | None = None) -> list[Response]:
    with db.unit_of_work() as session:
        query = select(Response).order_by(Response.id)
        if survey_id is not None:
            query = query.where(Response.survey_id == survey_id)
        return list(session.scalars(query))


@pytest.fixture
def nps_survey(db: Database) -> int:
    return live_survey(db, "relationship-nps")
