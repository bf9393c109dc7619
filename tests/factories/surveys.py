"""Builders for surveys: valid definitions with sensible defaults, and surveys created through the service."""

from __future__ import annotations

from typing import Any

from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.models import Survey
from cxloop.surveys.schemas import SurveyCreate


def nps_definition() -> dict[str, Any]:
    """An NPS question with a detractor and a promoter follow-up, plus a choice and a rating question."""
    return {
        "questions": [
            {
                "id": "q1",
                "kind": "nps",
                "text": {"en": "How likely are you to recommend us?", "de": "Wie wahrscheinlich?"},
                "required": True,
            },
            {
                "id": "why-low",
                "kind": "text",
                "text": {"en": "What should we improve?", "de": "Was sollen wir verbessern?"},
                "show_if": {"question": "q1", "op": "<=", "value": 6},
            },
            {
                "id": "why-high",
                "kind": "text",
                "text": {"en": "What do you like?"},
                "show_if": {"question": "q1", "op": ">=", "value": 9},
            },
            {
                "id": "plan",
                "kind": "single_choice",
                "text": {"en": "Which plan are you on?"},
                "options": [
                    {"key": "free", "text": {"en": "Free"}},
                    {"key": "pro", "text": {"en": "Pro", "de": "Profi"}},
                ],
            },
            {"id": "speed", "kind": "rating", "scale": 10, "text": {"en": "Rate our speed"}},
        ]
    }


def every_kind_definition() -> dict[str, Any]:
    """One question of each kind (csat first, then ces, ...), none required."""
    return {
        "questions": [
            {"id": "sat", "kind": "csat", "text": {"en": "Satisfied?"}},
            {"id": "effort", "kind": "ces", "text": {"en": "Easy?"}},
            {"id": "rec", "kind": "nps", "text": {"en": "Recommend?"}},
            {"id": "stars", "kind": "rating", "text": {"en": "Stars?"}},
            {
                "id": "topics",
                "kind": "multiple_choice",
                "text": {"en": "Topics?"},
                "options": [
                    {"key": "price", "text": {"en": "Price"}},
                    {"key": "speed", "text": {"en": "Speed"}},
                    {"key": "ux", "text": {"en": "UX"}},
                ],
            },
            {
                "id": "size",
                "kind": "single_choice",
                "text": {"en": "Size?"},
                "options": [{"key": "s", "text": {"en": "S"}}, {"key": "m", "text": {"en": "M"}}],
            },
            {"id": "notes", "kind": "text", "text": {"en": "Anything else?"}},
        ]
    }


def survey_create(**overrides: Any) -> SurveyCreate:
    """A valid, live NPS survey; override any SurveyCreate field."""
    data: dict[str, Any] = {"key": "rnps", "name": "Relationship NPS", "status": "live", "definition": nps_definition()}
    data.update(overrides)
    return SurveyCreate.model_validate(data)


def make_survey(db: Database, **overrides: Any) -> Survey:
    """Create a survey through the service in its own committed transaction."""
    with db.unit_of_work() as session:
        return surveys.create_survey(session, data=survey_create(**overrides))
