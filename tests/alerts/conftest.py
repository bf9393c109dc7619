"""Alert test helpers: a live survey with CSAT, CES and NPS questions, responses and feedback stored through the real
collection service, and the real relay that runs the outbox handlers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from cxloop.alerts import service as alerts
from cxloop.alerts.models import Alert
from cxloop.alerts.schemas import RuleCreate
from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackCreate, ResponseCreate
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.schemas import SurveyCreate
from cxloop.worker import build_relay
from tests.factories.surveys import every_kind_definition

_count = 0
# A rule's conditions on a score and on the text's sentiment (evaluated once the enrichment is stored).
ANGRY_DETRACTOR = ({"field": "nps", "op": "<=", "value": 6}, {"field": "sentiment", "op": "=", "value": "negative"})


def add_survey(db: Database, key: str = "pulse") -> None:
    with db.unit_of_work(write=True) as session:
        data = SurveyCreate(key=key, name="Pulse", status="live", definition=every_kind_definition())  # type: ignore[arg-type]
        surveys.create_survey(session, data=data)


def relay(db: Database) -> None:
    runner = build_relay(db)
    while runner.run_pass():
        pass


def store_responses(db: Database, *items: dict[str, Any], survey: str = "pulse") -> list[int]:
    """Responses in one batch (one response.received event), fanned out by the relay."""
    with db.unit_of_work(write=True) as session:
        made = [ResponseCreate(survey=survey, **item) for item in items]
        ids = collection.record_responses(session, items=made).ids
    relay(db)
    return ids


def store_feedback(db: Database, *items: dict[str, Any]) -> list[int]:
    global _count
    made = []
    for item in items:
        _count += 1
        made.append(
            FeedbackCreate(
                **{"kind": "review", "source": "trustpilot", "external_id": f"a-{_count}", "channel": "review"} | item
            )
        )
    with db.unit_of_work(write=True) as session:
        ids = collection.record_feedback(session, items=made).ids
    relay(db)
    return ids


def add_rule(db: Database, *conditions: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> int:
    data = RuleCreate.model_validate(
        {"name": "rule", "enabled": True, "conditions": list(conditions), "actions": actions or [{"kind": "notify"}]}
    )
    with db.unit_of_work(write=True) as session:
        return alerts.create_rule(session, data=data).id


def fired(db: Database, rule_id: int | None = None) -> list[tuple[str, int]]:
    """(source, item id) of the alerts stored, in id order."""
    with db.unit_of_work() as session:
        query = select(Alert.source, Alert.source_id).order_by(Alert.id)
        if rule_id is not None:
            query = query.where(Alert.rule_id == rule_id)
        return [(s, i) for s, i in session.execute(query)]


def alert_count(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Alert)) or 0
