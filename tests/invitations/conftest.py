from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxloop.invitations.tokens import TokenSigner
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.models import Survey
from cxloop.surveys.templates import get_template


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(b"test-secret")


def live_survey(db: Database, key: str = "relationship-nps", **settings: object) -> int:
    template = get_template("relationship-nps").model_copy(update={"key": key, "status": SurveyStatus.live})
    with db.unit_of_work() as session:
        survey = surveys.create_survey(session, data=template)
        for name, value in settings.items():
            setattr(survey, name, value)
        return survey.id


@pytest.fixture
def survey_id(db: Database) -> Iterator[int]:
    yield live_survey(db)


def get_survey(db: Database, survey_id: int) -> Survey:
    with db.unit_of_work() as session:
        found = session.get_one(Survey, survey_id)
        session.expunge(found)
        return found
