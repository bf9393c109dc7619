"""Builders for the trigger tests: a live survey, customers through the customers service, rules through ours."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from cxloop.jobs import dispatch
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.models import Survey
from cxloop.triggers import service as triggers
from cxloop.triggers.models import TriggerRule
from cxloop.triggers.schemas import TriggerRuleCreate
from tests.factories.surveys import survey_create

_keys = {"n": 0}


def live_survey(session: Session, **overrides: Any) -> Survey:
    _keys["n"] += 1
    overrides.setdefault("key", f"survey-{_keys['n']}")
    return surveys.create_survey(session, data=survey_create(**overrides))


def make_rule(session: Session, survey: Survey, **fields: Any) -> TriggerRule:
    _keys["n"] += 1
    data: dict[str, Any] = {"key": f"rule-{_keys['n']}", "name": "A rule", "survey_id": survey.id, "channel": "email"}
    data.update(fields)
    return triggers.create_rule(session, data=TriggerRuleCreate.model_validate(data))


@pytest.fixture
def queued(db: Database) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The jobs this process queues, recorded here instead of going to a Huey queue (after `db`, whose wiring
    installs the real one)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    previous = dispatch.installed()
    dispatch.install(lambda name, payload: calls.append((name, payload)))
    yield calls
    dispatch.install(previous)
