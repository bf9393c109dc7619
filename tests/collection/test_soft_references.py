"""Responses point at customers, surveys, stages and touchpoints without foreign keys (storage/references.py):
deleting the parent applies the rule a foreign key would have, and on PostgreSQL a deletion waits for a writer that
is still adding feedback about the parent, so no response is ever left pointing at nothing."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from cxloop.analytics import rollups
from cxloop.collection import service as collection
from cxloop.collection.errors import SurveyGone
from cxloop.collection.models import Response
from cxloop.collection.records import ResponseReader
from cxloop.collection.response_intake import prepare_csv
from cxloop.collection.response_store import store_responses
from cxloop.collection.schemas import ResponseCreate
from cxloop.customers import service as customers
from cxloop.journeys import service as journeys
from cxloop.journeys.models import Touchpoint
from cxloop.storage import references
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.errors import SurveyInUse
from cxloop.surveys.models import Survey
from tests.collection.conftest import count_responses
from tests.factories.responses import snapshot


def _record(db: Database, *items: ResponseCreate) -> list[int]:
    with db.unit_of_work() as session:
        return [i for i in collection.record_responses(session, items=list(items)).ids if i is not None]


def _customer_id(db: Database, external_id: str) -> int:
    with db.unit_of_work() as session:
        found = customers.get_customer(session, external_id=external_id)
        assert found is not None
        return found.id


def test_the_references_of_responses_are_declared() -> None:
    assert references.soft_columns("responses") == {
        "survey_id": "surveys",
        "survey_version_id": "survey_versions",
        "customer_id": "customers",
        "touchpoint_id": "touchpoints",
        "stage_id": "stages",
    }


def test_deleting_a_customer_deletes_their_responses_only(db: Database, survey: Survey) -> None:
    _record(
        db,
        ResponseCreate(survey="rnps", nps=3, customer_external_id="gone"),
        ResponseCreate(survey="rnps", nps=9, customer_external_id="kept"),
        ResponseCreate(survey="rnps", nps=7),
    )
    with db.unit_of_work() as session:
        customers.delete_customer(session, customer_id=_customer_id(db, "gone"))
    with db.unit_of_work() as session:
        left = session.execute(select(Response.nps).order_by(Response.nps)).scalars().all()
    assert left == [7, 9]


def test_deleting_a_touchpoint_or_stage_clears_it_on_responses(db: Database, survey: Survey) -> None:
    (response_id,) = _record(db, ResponseCreate(survey="rnps", nps=9, touchpoint="relationship"))
    with db.unit_of_work() as session:
        stored = session.get(Response, response_id)
        assert stored is not None and stored.touchpoint_id is not None and stored.stage_id is not None
        touchpoint_id, stage_id = stored.touchpoint_id, stored.stage_id
        journeys.delete_touchpoint(session, touchpoint_id=touchpoint_id)
    with db.unit_of_work() as session:
        stored = session.get(Response, response_id)
        assert stored is not None and stored.touchpoint_id is None and stored.stage_id == stage_id
        journeys.delete_stage(session, stage_id=stage_id)
    with db.unit_of_work() as session:
        stored = session.get(Response, response_id)
        assert stored is not None and (stored.touchpoint_id, stored.stage_id) == (None, None)
        assert stored.nps == 9  # the response itself stays


def test_deleting_a_stage_clears_its_touchpoints_on_responses_too(db: Database, survey: Survey) -> None:
    (response_id,) = _record(db, ResponseCreate(survey="rnps", nps=9, touchpoint="relationship"))
    with db.unit_of_work() as session:
        stored = session.get(Response, response_id)
        assert stored is not None and stored.stage_id is not None
        journeys.delete_stage(session, stage_id=stored.stage_id)
    with db.unit_of_work() as session:
        stored = session.get(Response, response_id)
        assert stored is not None and (stored.touchpoint_id, stored.stage_id) == (None, None)
        assert session.scalar(select(func.count()).select_from(Touchpoint).where(Touchpoint.key == "relationship")) == 0


def test_a_survey_with_responses_cannot_be_deleted(db: Database, survey: Survey) -> None:
    _record(db, ResponseCreate(survey="rnps", nps=9))
    with db.unit_of_work() as session, pytest.raises(SurveyInUse):
        surveys.delete_survey(session, survey_id=survey.id)
    assert count_responses(db) == 1


def test_a_deletion_waits_for_a_writer_still_adding_responses(db: Database, survey: Survey) -> None:
    """The writer holds the customer (FOR KEY SHARE); the deletion locks it first, so it sees the new response."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: the deletion cannot run while the writer's transaction is open")
    _record(db, ResponseCreate(survey="rnps", nps=9, customer_external_id="busy"))
    customer_id = _customer_id(db, "busy")
    written = threading.Event()
    deleted_at: list[float] = []
    committed_at: list[float] = []
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            with db.unit_of_work() as session:
                collection.record_responses(
                    session, items=[ResponseCreate(survey="rnps", nps=2, customer_external_id="busy")]
                )
                written.set()
                time.sleep(0.5)  # the deletion starts meanwhile and must wait for this commit
            committed_at.append(time.monotonic())
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
            written.set()

    def deleter() -> None:
        written.wait(5)
        try:
            with db.unit_of_work() as session:
                customers.delete_customer(session, customer_id=customer_id)
            deleted_at.append(time.monotonic())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=deleter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert failures == []
    assert deleted_at[0] >= committed_at[0]
    assert count_responses(db) == 0  # both the old response and the one written meanwhile are gone


def test_a_customer_deleted_between_preparing_and_storing_is_not_pointed_at(db: Database, survey: Survey) -> None:
    """An import prepares a batch in another process (cli/read_ahead.py); the store finds the customer gone and
    links the row afresh, to a new bare customer, instead of pointing at nothing."""
    _record(db, ResponseCreate(survey="rnps", nps=9, customer_external_id="leaving"))
    _record(db, ResponseCreate(survey="rnps", nps=9, customer_external_id="stays"))  # SQLite reuses the top id
    gone = _customer_id(db, "leaving")
    reader = ResponseReader(["survey", "customer_id", "nps", "response_id"])
    with db.unit_of_work() as session:
        prepared = prepare_csv(session, reader, [["rnps", "leaving", "4", "late-1"]])
    assert prepared.valid[0].row.customer_id == gone  # linked while preparing
    with db.unit_of_work() as session:
        customers.delete_customer(session, customer_id=gone)
    with db.unit_of_work(write=True) as session:
        outcome = store_responses(session, prepared, atomic=True)
    assert outcome.created == 1
    with db.unit_of_work() as session:
        customer_id = session.scalar(select(Response.customer_id).where(Response.nps == 4))
    assert customer_id != gone and customer_id == _customer_id(db, "leaving")


def test_a_touchpoint_deleted_between_preparing_and_storing_is_cleared(db: Database, survey: Survey) -> None:
    reader = ResponseReader(["survey", "touchpoint", "nps", "response_id"])
    with db.unit_of_work() as session:
        prepared = prepare_csv(session, reader, [["rnps", "relationship", "9", "t-1"]])
        touchpoint_id = prepared.valid[0].row.touchpoint_id
    with db.unit_of_work() as session:
        journeys.delete_touchpoint(session, touchpoint_id=touchpoint_id)
    with db.unit_of_work(write=True) as session:
        assert store_responses(session, prepared, atomic=True).created == 1
    with db.unit_of_work() as session:
        stored = session.execute(select(Response)).scalar_one()
        assert stored.touchpoint_id is None and stored.stage_id is not None  # the stage was not deleted
        counted = snapshot(session)
        rollups.rebuild_rollups(session)
    with db.unit_of_work() as session:
        assert counted == snapshot(session)


def test_a_survey_deleted_between_preparing_and_storing_refuses_the_batch(db: Database, survey: Survey) -> None:
    reader = ResponseReader(["survey", "nps", "response_id"])
    with db.unit_of_work() as session:
        prepared = prepare_csv(session, reader, [["rnps", "9", "s-1"]])
    with db.unit_of_work() as session:
        surveys.delete_survey(session, survey_id=survey.id)  # no responses yet, so allowed
    with pytest.raises(SurveyGone), db.unit_of_work(write=True) as session:
        store_responses(session, prepared, atomic=True)
    assert count_responses(db) == 0
