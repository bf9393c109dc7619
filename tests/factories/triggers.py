"""Builders for trigger rules, created through the triggers service with the fields their kind needs.

An event rule fires on `ticket.solved` by default; a time rule (`kind="time"`) a week after signup. Give a survey
(the object or its id) or let the builder create a live one.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from cxloop.surveys import service as surveys
from cxloop.surveys.models import Survey
from cxloop.triggers import service as triggers
from cxloop.triggers.enums import TriggerKind
from cxloop.triggers.models import TriggerRule
from cxloop.triggers.schemas import TriggerRuleCreate
from tests.factories.surveys import survey_create

_numbers = count(1)
_KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    TriggerKind.event: {"event_name": "ticket.solved"},
    TriggerKind.time: {"anchor": "signup_date", "offset_days": 7},
}


def live_survey(session: Session, **overrides: Any) -> Survey:
    """A live NPS survey with a unique key (tests/factories/surveys.py's definition)."""
    overrides.setdefault("key", f"survey-{next(_numbers)}")
    return surveys.create_survey(session, data=survey_create(**overrides))


def rule_create(survey_id: int, **overrides: Any) -> TriggerRuleCreate:
    """A valid enabled rule inviting by email; override any TriggerRuleCreate field."""
    data: dict[str, Any] = {
        "key": f"rule-{next(_numbers)}",
        "name": "A rule",
        "kind": TriggerKind.event,
        "survey_id": survey_id,
        "channel": "email",
    }
    data.update(overrides)
    for name, value in _KIND_DEFAULTS[TriggerKind(data["kind"])].items():
        data.setdefault(name, value)
    return TriggerRuleCreate.model_validate(data)


def make_rule(session: Session, survey: Survey | int | None = None, **overrides: Any) -> TriggerRule:
    if survey is None:
        survey = live_survey(session)
    survey_id = survey if isinstance(survey, int) else survey.id
    return triggers.create_rule(session, data=rule_create(survey_id, **overrides))
