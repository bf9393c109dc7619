"""A real `cxloop worker` SIGKILLed while it evaluates rules: what it committed stays, what it was doing is done again
by the next worker once the lease runs out, and every (rule, item) has exactly one alert, one case and one place in
an `alert.fired` payload. Both databases."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from sqlalchemy import select, update

from cxloop.cases import service as cases
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.storage.database import Database
from tests.alerts.conftest import add_rule, add_survey, alert_count, fired, relay
from tests.notifications.test_worker_killed import _start_worker

BATCHES, SIZE = 60, 5


def test_a_worker_killed_mid_evaluation_leaves_each_alert_once(db: Database, db_url: str, tmp_path: Path) -> None:
    add_survey(db)
    rule = add_rule(db, {"field": "nps", "op": "<=", "value": 6}, actions=[{"kind": "open_case"}, {"kind": "notify"}])
    for batch in range(BATCHES):  # stored, not yet relayed: the worker does that
        with db.unit_of_work(write=True) as session:
            items = [ResponseCreate(survey="pulse", nps=0, customer_external_id=f"k-{batch}-{i}") for i in range(SIZE)]
            collection.record_responses(session, items=items)
    worker = _start_worker(db_url, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while alert_count(db) == 0:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    before = alert_count(db)
    assert 0 < before < BATCHES * SIZE  # killed halfway
    with db.unit_of_work(write=True) as session:  # the dead worker's leases run out
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.leased_until.is_not(None))
            .values(leased_until=None, lease_token=None)
        )
    relay(db)  # the next worker
    alerts = fired(db, rule)
    assert len(alerts) == len(set(alerts)) == BATCHES * SIZE
    with db.unit_of_work() as session:
        assert len(cases.list_cases(session, limit=500)[0]) == BATCHES * SIZE
        payloads = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.name == "alert.fired")).all()
    notified = [i for p in payloads for i in p["alert_ids"]]
    assert len(notified) == len(set(notified)) == BATCHES * SIZE
