"""Whether a survey collects answers from public channels now: its effective life-cycle status (surveys/lifecycle.py)
with the response count read here, where the response store is in reach."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from cxloop.collection import service as collection
from cxloop.surveys import lifecycle
from cxloop.surveys.enums import SurveyStatus

if TYPE_CHECKING:
    from cxloop.surveys.models import Survey


def effective_status(session: Session, survey: Survey, *, now: datetime) -> SurveyStatus:
    count = None
    if survey.max_responses is not None:
        count = collection.count_responses(session, survey_id=survey.id)
    return lifecycle.effective_status(survey, now=now, responses=count)


def accepts_responses(session: Session, survey: Survey, *, now: datetime) -> bool:
    """True while the survey is (effectively) live."""
    return effective_status(session, survey, now=now) == SurveyStatus.live
