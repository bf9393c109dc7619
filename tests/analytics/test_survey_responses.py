"""Responses per survey and day, kept on every write, equal a recount from raw rows, and the surveys list's counts
and latest responses read from them equal the raw ones."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.analytics import survey_responses
from cxloop.analytics.models import SurveyResponseDay
from cxloop.collection import hooks as collection_hooks
from cxloop.collection import privacy
from cxloop.collection import service as collection
from cxloop.collection.models import Response
from cxloop.collection.schemas import ResponseCreate
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from tests.factories.surveys import every_kind_definition, make_survey

START = datetime(2026, 1, 10, tzinfo=UTC)


def snapshot(session: Session) -> dict[tuple[int, int], int]:
    rows = session.execute(select(SurveyResponseDay.survey_id, SurveyResponseDay.day, SurveyResponseDay.n))
    return {(survey_id, day): n for survey_id, day, n in rows}


def _raw_activity(session: Session) -> dict[int, tuple[int, datetime]]:
    query = select(Response.survey_id, func.count(), func.max(Response.submitted_at)).group_by(Response.survey_id)
    return {survey_id: (n, last) for survey_id, n, last in session.execute(query)}


def _responses(rng: random.Random, count: int) -> list[ResponseCreate]:
    """Responses to two surveys, a third with no score at all (a comment only)."""
    items = []
    for _ in range(count):
        scores = rng.choice([{}, {"nps": rng.randint(0, 10)}, {"nps": 9, "csat": 4}])
        items.append(
            ResponseCreate(
                survey=rng.choice(["pulse", "echo"]),
                customer_external_id=rng.choice([f"c{i}" for i in range(8)] + [None]),
                channel=rng.choice(["email", "web"]),
                comment=None if scores else "fine",
                submitted_at=START + timedelta(minutes=rng.randrange(20 * 24 * 60)),
                **scores,
            )
        )
    return items


@pytest.mark.parametrize("ahead", [True, False], ids=["counted-ahead", "counted-when-stored"])
def test_kept_counts_equal_a_recount_after_writes_amendments_retention_and_deletions(
    db: Database, ahead: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not ahead:
        monkeypatch.setattr(collection_hooks, "responses_prepared", collection_hooks.responses_prepared.copy())
    rng = random.Random(5)
    for key in ("pulse", "echo"):
        make_survey(db, key=key, definition=every_kind_definition())
    for batch in range(3):
        items = _responses(rng, 30)
        keys = [f"k{batch}-{i}" for i in range(30)]
        keys[0] = keys[1]  # the same key twice in a batch: stored once
        with db.unit_of_work() as session:
            collection.record_responses(session, items=items, idempotency_keys=keys)
        with db.unit_of_work() as session:  # a batch sent again: nothing new
            collection.record_responses(session, items=items[:5], idempotency_keys=keys[:5])
    with db.unit_of_work() as session:
        kept = snapshot(session)
        survey_responses.rebuild_survey_responses(session)
        assert snapshot(session) == kept
        assert sum(kept.values()) == session.scalar(select(func.count()).select_from(Response)) == 87

    with db.unit_of_work() as session:  # retention deletes some and anonymises others; a customer is deleted
        assert privacy.response_retention(session, before=START + timedelta(days=5), action="delete", limit=7) == 7
        privacy.response_retention(session, before=START + timedelta(days=10), action="anonymise", limit=5)
        customer_id = customers.resolve_customer_ids(session, external_ids=["c3"])["c3"]
        customers.delete_customer(session, customer_id=customer_id)
    with db.unit_of_work() as session:
        kept = snapshot(session)
        survey_responses.rebuild_survey_responses(session)
        assert snapshot(session) == kept
        raw = _raw_activity(session)
        assert survey_responses.survey_activity(session, survey_ids=list(raw)) == raw
        assert sum(n for n, _ in raw.values()) < 87
