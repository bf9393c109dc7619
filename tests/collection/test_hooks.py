"""The hooks collection calls in its write transactions (collection/hooks.py) and the typed rows they carry."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from cxloop.collection import hooks
from cxloop.collection import service as collection
from cxloop.collection.amend import amend_response
from cxloop.collection.rows import ScoredRow, epoch_seconds
from cxloop.collection.schemas import FeedbackCreate
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.journeys import service as journeys
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass
class Heard:
    prepared: list[ScoredRow] = field(default_factory=list)
    stored: list[ScoredRow] = field(default_factory=list)
    retracted: list[ScoredRow] = field(default_factory=list)
    restated: list[ScoredRow] = field(default_factory=list)
    ahead: list[dict[str, Any]] = field(default_factory=list)
    removed: list[ScoredRow] = field(default_factory=list)
    added: list[ScoredRow] = field(default_factory=list)

    def on_prepared(self, session: Session, *, rows: Sequence[ScoredRow], ahead: dict[str, Any]) -> None:
        self.prepared += rows
        ahead["heard"] = len(rows)

    def on_stored(
        self,
        session: Session,
        *,
        rows: Callable[[], Sequence[ScoredRow]],
        retracted: Sequence[ScoredRow],
        restated: Sequence[ScoredRow],
        ahead: dict[str, Any],
    ) -> None:
        assert session.in_transaction()
        self.stored += rows()
        self.retracted += retracted
        self.restated += restated
        self.ahead.append(dict(ahead))

    def on_changed(self, session: Session, *, removed: Sequence[ScoredRow], added: Sequence[ScoredRow]) -> None:
        self.removed += removed
        self.added += added


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Heard]:
    """Fresh collection hooks holding only the recorder (the app's are wired to the rollups and frozen)."""
    recorder = Heard()
    for name, fn in (
        ("responses_prepared", recorder.on_prepared),
        ("responses_stored", recorder.on_stored),
        ("scores_changed", recorder.on_changed),
    ):
        hook = getattr(hooks, name).copy()
        hook.register(fn)
        monkeypatch.setattr(hooks, name, hook)
    yield recorder


def _payload(nps: int, customer: str | None = None, key: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"survey": "rnps", "nps": nps, "submitted_at": AT.isoformat()}
    if customer is not None:
        payload["customer_external_id"] = customer
    if key is not None:
        payload["idempotency_key"] = key
    return payload


def test_a_batch_is_heard_prepared_then_stored_with_what_storing_changed(
    db: Database, survey: Survey, heard: Heard
) -> None:
    payloads = [_payload(9, "late"), _payload(3, key="k"), _payload(4, key="k"), _payload(7)]
    with db.unit_of_work() as session:
        prepared = collection.check_responses(session, payloads=payloads)
    assert [row.nps for row in heard.prepared] == [9, 3, 4, 7]
    assert heard.prepared[0].stage_id is None and heard.prepared[0].customer_id is None  # "late" is unknown yet
    assert prepared.ahead == {"heard": 4}
    with db.unit_of_work() as session:  # meanwhile the customer arrives, in a stage
        customers.upsert_customers(session, items=[CustomerUpsert(external_id="late", stage="onboarding")])
        onboarding = journeys.stage_index(session)["onboarding"]
    with db.unit_of_work() as session:
        result = collection.store_checked(session, prepared)
    assert result.created == 3 and result.duplicates == 1
    assert [row.nps for row in heard.stored] == [9, 3, 7]
    late = heard.stored[0]
    assert late.stage_id == onboarding and late.customer_id is not None
    assert late.seconds == epoch_seconds(AT) and late.survey_id == survey.id and late.channel == "api"
    # The prepared view of "late" no longer holds (its stage came with the customer); the repeated key's row was
    # never stored: both are retracted, and the stored "late" row restated.
    assert sorted(row.nps for row in heard.retracted) == [4, 9]
    assert next(row for row in heard.retracted if row.nps == 9) == heard.prepared[0]
    assert heard.restated == [late]
    assert heard.ahead == [{"heard": 4}]


def test_feedback_and_amended_scores_are_heard_as_changes(db: Database, survey: Survey, heard: Heard) -> None:
    with db.unit_of_work() as session:
        collection.record_feedback(
            session,
            items=[
                FeedbackCreate(kind="review", source="t", external_id="1", channel="review", text="ok", rating=4),
                FeedbackCreate(kind="review", source="t", external_id="2", channel="review", text="no rating"),
            ],
        )
    assert heard.removed == [] and [(row.survey_id, row.csat, row.nps) for row in heard.added] == [(None, 4, None)]
    heard.added.clear()
    with db.unit_of_work() as session:
        (response_id,) = collection.store_checked(
            session, collection.check_responses(session, payloads=[_payload(9)])
        ).ids
    with db.unit_of_work() as session:
        amend_response(session, response_id, {"q1": 2}, complete=True)
    assert [row.nps for row in heard.removed] == [9] and [row.nps for row in heard.added] == [2]
    assert heard.removed[0]._replace(nps=2) == heard.added[0]
