"""The inbox's action on every case of a filter run by the worker (cases/service/bulk_runs.py), over many cases.

    python bench/bench_bulk_runs.py --cases 10000                        # SQLite (the embedded default)
    python bench/bench_bulk_runs.py --cases 10000 --backend postgresql

Opens N cases through the service (one team, one agent), then, as the web app does on confirmation, reads the ids of
every open case of the agent's teams and queues a run that acknowledges them (timed: what the request does), and runs
it as the worker's job does, a chunk per transaction (timed in all and per chunk: on SQLite a chunk holds the one
write lock, so its time is how long other writers may wait). Checks that every case was acknowledged once (one
activity entry each) and that the run was audited once.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import func, select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.schemas import TeamCreate
from cxloop.audit.models import AuditEntry
from cxloop.audit.schemas import AuditActor
from cxloop.cases import service as cases
from cxloop.cases.enums import CaseStatus, TriggerSource
from cxloop.cases.models import CaseActivity
from cxloop.cases.schemas import SYSTEM, CaseOpen, TriggerRef
from cxloop.cases.service import bulk_runs
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from databases import throwaway_database

OPEN = (CaseStatus.new, CaseStatus.acknowledged, CaseStatus.in_progress)


def build(db: Database, count: int) -> int:
    """N new cases in one team, one per customer (a second case of a customer would join its open one); the agent's
    user id."""
    with db.unit_of_work(write=True) as session:
        agent = access.create_user(session, email="agent@example.com", role=Role.agent, name="Ana")
        team = access.create_team(session, data=TeamCreate(key="support", name="Support", member_ids=[agent.id]))
        customer_ids = customers.upsert_customers(
            session, items=[CustomerUpsert(external_id=f"c-{n}") for n in range(count)]
        )
        agent_id, team_id = agent.id, team.id
    for start in range(0, count, 1000):
        with db.unit_of_work(write=True) as session:
            for n in range(start, min(count, start + 1000)):
                trigger = [TriggerRef(source=TriggerSource.feedback, id=n + 1)]
                data = CaseOpen(customer_id=customer_ids[n], triggers=trigger, title=f"Case {n}", team_id=team_id)
                cases.open_case(session, data=data, actor=SYSTEM)
    return agent_id


def run(backend: str, count: int) -> None:
    with throwaway_database(backend) as url:
        db = Database(url)
        metadata.create_all(db.engine)
        started = time.perf_counter()
        agent_id = build(db, count)
        print(f"{backend}: {count:,} cases opened in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        with db.unit_of_work(write=True) as session:
            scope = cases.scope_of(session, role=Role.agent, user_id=agent_id)
            ids = cases.matching_case_ids(session, scope=scope, status=OPEN, limit=cases.MAX_RUN + 1)
            run_id = cases.queue_bulk_run(
                session,
                user_id=agent_id,
                actor_name="Ana",
                audit_actor=AuditActor.system("bench"),
                change=cases.BulkChange("acknowledge"),
                case_ids=ids,
                done_words="Acknowledged",
                filter_words="open, any priority",
            ).id
        confirmed = time.perf_counter() - started

        chunks: list[float] = []
        started = time.perf_counter()
        more = True
        while more:
            at = time.perf_counter()
            with db.unit_of_work(write=True) as session:
                more = bulk_runs.run_chunk(session, run_id=run_id, now=utcnow())
            chunks.append(time.perf_counter() - at)
        total = time.perf_counter() - started

        with db.unit_of_work() as session:
            acked = session.scalar(
                select(func.count(func.distinct(CaseActivity.case_id))).where(CaseActivity.kind == "status")
            )
            entries = session.scalar(select(func.count()).where(AuditEntry.action == "case_bulk.finished"))
        assert acked == count and entries == 1, (acked, entries)
        tenth = max(1, len(chunks) // 10)
        first, last = statistics.median(chunks[:tenth]), statistics.median(chunks[-tenth:])
        drift = f"first tenth median {first * 1000:.0f} ms, last {last * 1000:.0f} ms"
        chunks.sort()
        print(
            f"{backend}: confirm (read {len(ids):,} ids, store the run) {confirmed * 1000:.0f} ms; "
            f"run {total:.1f} s = {count / total:,.0f} cases/s; {len(chunks)} chunks of {bulk_runs.CHUNK}: "
            f"median {statistics.median(chunks) * 1000:.0f} ms, p95 {chunks[int(len(chunks) * 0.95)] * 1000:.0f} ms, "
            f"max {chunks[-1] * 1000:.0f} ms ({drift})"
        )
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--chunk", type=int, default=bulk_runs.CHUNK, help="cases per transaction")
    args = parser.parse_args()
    bulk_runs.CHUNK = args.chunk
    run(args.backend, args.cases)


if __name__ == "__main__":
    main()
