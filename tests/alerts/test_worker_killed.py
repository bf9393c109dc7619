"""A real `cxloop worker` SIGKILLed while it evaluates rules (on scores, and on sentiment after the text enrichment):
what it committed stays, what it was doing is done again by the next worker once the lease runs out, and every
(rule, item) has exactly one alert, one case and one place in an `alert.fired` payload. Both databases."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from cxloop.cases import service as cases
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.storage.database import Database
from cxloop.text.models import TextAnalysis
from tests.alerts.conftest import ANGRY_DETRACTOR, add_rule, add_survey, alert_count, fired, relay
from tests.notifications.test_worker_killed import _start_worker

BATCHES, SIZE = 60, 5


def _store_batches(db: Database, **item: Any) -> None:
    """BATCHES batches of SIZE responses, stored, not yet relayed: the worker does that."""
    for batch in range(BATCHES):
        with db.unit_of_work(write=True) as session:
            items = [ResponseCreate(survey="pulse", customer_external_id=f"k-{batch}-{i}", **item) for i in range(SIZE)]
            collection.record_responses(session, items=items)


def _kill_a_worker_once(db: Database, db_url: str, tmp_path: Path, started: Callable[[], bool]) -> None:
    """Start a real worker, SIGKILL it as soon as `started()`, then let its leases run out."""
    worker = _start_worker(db_url, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not started():
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    with db.unit_of_work(write=True) as session:
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.leased_until.is_not(None))
            .values(leased_until=None, lease_token=None)
        )


def _notified_once(db: Database) -> int:
    """How many alerts the `alert.fired` payloads name, after checking none is named twice."""
    with db.unit_of_work() as session:
        payloads = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.name == "alert.fired")).all()
    notified = [i for p in payloads for i in p["alert_ids"]]
    assert len(notified) == len(set(notified))
    return len(notified)


def test_a_worker_killed_mid_evaluation_leaves_each_alert_once(db: Database, db_url: str, tmp_path: Path) -> None:
    add_survey(db)
    rule = add_rule(db, {"field": "nps", "op": "<=", "value": 6}, actions=[{"kind": "open_case"}, {"kind": "notify"}])
    _store_batches(db, nps=0)
    _kill_a_worker_once(db, db_url, tmp_path, lambda: alert_count(db) > 0)
    assert 0 < alert_count(db) < BATCHES * SIZE  # killed halfway
    relay(db)  # the next worker
    alerts = fired(db, rule)
    assert len(alerts) == len(set(alerts)) == BATCHES * SIZE
    with db.unit_of_work() as session:
        assert len(cases.list_cases(session, limit=500)[0]) == BATCHES * SIZE
    assert _notified_once(db) == BATCHES * SIZE


def test_a_worker_killed_mid_enrichment_leaves_each_text_alert_once(db: Database, db_url: str, tmp_path: Path) -> None:
    add_survey(db)
    angry = add_rule(db, *ANGRY_DETRACTOR, actions=[{"kind": "open_case"}, {"kind": "notify"}])
    detractors = add_rule(db, {"field": "nps", "op": "<=", "value": 6})
    _store_batches(db, nps=1, comment="Terrible service, the engineer never arrived and nobody called back")
    _kill_a_worker_once(db, db_url, tmp_path, lambda: bool(fired(db, angry)))
    assert 0 < len(fired(db, angry)) < BATCHES * SIZE  # killed halfway through the enrichment and its rules
    relay(db)  # the next worker
    for rule in (angry, detractors):
        made = fired(db, rule)
        assert len(made) == len(set(made)) == BATCHES * SIZE
    with db.unit_of_work() as session:
        assert len(cases.list_cases(session, limit=500)[0]) == BATCHES * SIZE
        assert session.scalar(select(func.count()).select_from(TextAnalysis)) == BATCHES * SIZE
    assert _notified_once(db) == 2 * BATCHES * SIZE
