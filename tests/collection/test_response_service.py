"""record_responses: stages, customers, versions, bulk paths, and concurrent double submits (both databases)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cxloop.collection import service as collection
from cxloop.collection.errors import InvalidResponses, UnknownSurvey
from cxloop.collection.models import Response
from cxloop.collection.schemas import RecordResult, ResponseCreate
from cxloop.customers import service as customers
from cxloop.customers.models import Customer
from cxloop.customers.schemas import CustomerUpsert
from cxloop.journeys import service as journeys
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.models import Survey
from cxloop.surveys.schemas import SurveyDefinition, SurveyUpdate
from tests.collection.conftest import count_responses, rollup_total
from tests.factories.surveys import nps_definition


def _record(db: Database, items: list[ResponseCreate]) -> RecordResult:
    with db.unit_of_work() as session:
        return collection.record_responses(session, items=items)


def _stored(db: Database, response_id: int) -> Response:
    with db.unit_of_work() as session:
        found = session.get(Response, response_id)
        assert found is not None
        return found


def test_stage_comes_from_the_touchpoint_else_the_customer(db: Database, survey: Survey) -> None:
    with db.unit_of_work() as session:
        customers.upsert_customers(session, items=[CustomerUpsert(external_id="c1", stage="onboarding")])
        stages = journeys.stage_index(session)
    result = _record(
        db,
        [
            ResponseCreate(survey="rnps", nps=9, customer_external_id="c1"),
            ResponseCreate(survey="rnps", nps=9, customer_external_id="c1", touchpoint="relationship"),
            ResponseCreate(survey="rnps", nps=9),
        ],
    )
    by_customer, by_touchpoint, anonymous = (_stored(db, i) for i in result.ids)
    assert by_customer.stage_id == stages["onboarding"]
    assert by_touchpoint.stage_id == stages["usage"] and by_touchpoint.touchpoint_id is not None
    assert anonymous.stage_id is None and anonymous.customer_id is None
    assert rollup_total(db, "nps", "stage") == 3


def test_unknown_customers_become_bare_customers_once(db: Database, survey: Survey) -> None:
    result = _record(db, [ResponseCreate(survey="rnps", nps=n, customer_external_id="new-1") for n in (1, 2)])
    with db.unit_of_work() as session:
        rows = session.scalars(select(Customer).where(Customer.external_id == "new-1")).all()
        assert len(rows) == 1 and rows[0].email is None
        assert {_stored(db, i).customer_id for i in result.ids} == {rows[0].id}


def test_old_versions_stay_answerable_and_responses_keep_their_version(db: Database, survey: Survey) -> None:
    old = _record(db, [ResponseCreate(survey="rnps", answers={"q1": 5, "speed": 4})])
    changed = nps_definition()
    changed["questions"].pop()  # drop 'speed'
    with db.unit_of_work() as session:
        surveys.update_survey(
            session, survey_id=survey.id, data=SurveyUpdate(definition=SurveyDefinition.model_validate(changed))
        )
    with db.unit_of_work() as session, pytest.raises(InvalidResponses) as caught:
        collection.record_responses(session, items=[ResponseCreate(survey="rnps", answers={"q1": 5, "speed": 4})])
    assert [e.field for e in caught.value.errors] == ["items.0.answers.speed"]
    history = _record(db, [ResponseCreate(survey="rnps", version=1, answers={"q1": 5, "speed": 4})])
    with db.unit_of_work() as session:
        v1 = surveys.require_version(session, survey_id=survey.id, version=1).id
        v2 = surveys.require_version(session, survey_id=survey.id, version=2).id
    assert _stored(db, old.ids[0]).survey_version_id == v1 == _stored(db, history.ids[0]).survey_version_id
    new = _record(db, [ResponseCreate(survey="rnps", nps=7)])
    assert _stored(db, new.ids[0]).survey_version_id == v2


def test_unknown_survey_raises_not_found_naming_items(db: Database, survey: Survey) -> None:
    with db.unit_of_work() as session, pytest.raises(UnknownSurvey) as caught:
        collection.record_responses(session, items=[ResponseCreate(survey="rnps", nps=1), ResponseCreate(survey="x")])
    assert [e.field for e in caught.value.errors] == ["items.1.survey"]
    assert count_responses(db) == 0


def test_naive_times_are_utc_and_values_round_trip(db: Database, survey: Survey) -> None:
    result = _record(
        db,
        [
            ResponseCreate(
                survey="rnps",
                answers={"q1": 2, "why-low": "Wait times — ünïcode ✓"},
                submitted_at=datetime(2024, 5, 1, 12, 30),  # noqa: DTZ001  (naive on purpose)
                locale="pt_BR",
                metadata={"order": 42, "tags": ["a"]},
                is_partial=True,
            )
        ],
    )
    stored = _stored(db, result.ids[0])
    assert stored.submitted_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert stored.comment == "Wait times — ünïcode ✓" and stored.locale == "pt-BR"
    assert stored.meta == {"order": 42, "tags": ["a"]} and stored.is_partial is True


@pytest.mark.parametrize("size", [1, 450])
def test_a_concurrent_double_submit_is_stored_once(db: Database, survey: Survey, size: int) -> None:
    """B sends the same keys while A's transaction is open; B waits on A's lock, then finds them stored."""
    items = [ResponseCreate(survey="rnps", nps=i % 11, idempotency_key=f"dup-{i}") for i in range(size)]
    results: dict[str, RecordResult] = {}
    with db.unit_of_work() as session:
        results["a"] = collection.record_responses(session, items=items)
        other = threading.Thread(target=lambda: results.setdefault("b", _record(db, items)))
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive(), "the second writer should wait for the first transaction"
    other.join(timeout=30)
    assert results["a"].created == size
    assert results["b"].created == 0 and results["b"].duplicates == size
    assert results["b"].ids == results["a"].ids
    assert count_responses(db) == size
    assert rollup_total(db, "nps") == size


def test_large_batches_take_the_bulk_path_with_ids_in_order(db: Database, survey: Survey) -> None:
    items = [ResponseCreate(survey="rnps", nps=i % 11, idempotency_key=f"k{i}") for i in range(1000)]
    first = _record(db, items[:600])
    second = _record(db, items)  # 600 duplicates, 400 new
    assert (second.created, second.duplicates) == (400, 600)
    assert second.ids[:600] == first.ids
    with db.unit_of_work() as session:
        keys = dict(session.execute(select(Response.id, Response.idempotency_key)).all())
    assert [keys[i] for i in second.ids] == [f"k{i}" for i in range(1000)]
    assert rollup_total(db, "nps") == 1000
