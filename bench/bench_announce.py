""" "You asked, we fixed it": how long announcing an improvement takes (docs/follow-ups.md).

    python bench/bench_announce.py --customers 2000                         # SQLite (the embedded default)
    python bench/bench_announce.py --customers 2000 --backend postgresql

Makes N customers, each with a case resolved under the root cause `slow`, and an improvement of that root cause,
then times `improvements.announce` twice in its own transaction: the first run queues one follow-up per customer,
the second finds every customer told already and must queue none.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction, TriggerSource
from cxloop.cases.follow_up_schemas import ImprovementCreate
from cxloop.cases.schemas import SYSTEM, Actor, CaseOpen, RootCauseCreate, TriggerRef
from cxloop.cases.service import improvements
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.storage.database import Database
from databases import survey_database


def build(db: Database, n: int) -> int:
    with db.unit_of_work(write=True) as session:
        cases.create_root_cause(session, data=RootCauseCreate(key="slow", name="Slow"))
        people = [CustomerUpsert(external_id=f"c{i}", email=f"c{i}@example.com", name=f"C {i}") for i in range(n)]
        for i, customer_id in enumerate(customers.upsert_customers(session, items=people)):
            trigger = TriggerRef(source=TriggerSource.feedback, id=i + 1)
            case, _ = cases.open_case(session, data=CaseOpen(customer_id=customer_id, triggers=[trigger]), actor=SYSTEM)
            cases.transition(
                session, case_id=case.id, action=CaseAction.resolve, actor=SYSTEM, resolution="r", root_cause="slow"
            )
        data = ImprovementCreate(
            title="Fixed", subject="S", body="Hi {first_name}", root_cause="slow", shipped_at=datetime.now(UTC)
        )
        return improvements.create_improvement(session, data=data).id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with survey_database(args.backend) as url:
        db = Database(url)
        improvement_id = build(db, args.customers)
        for run in (1, 2):
            started = time.perf_counter()
            with db.unit_of_work(write=True) as session:
                counts = improvements.announce(session, improvement_id=improvement_id, actor=Actor("bench"))
            print(f"run {run}: {counts.model_dump()} in {time.perf_counter() - started:.2f} s")
        db.dispose()


if __name__ == "__main__":
    main()
