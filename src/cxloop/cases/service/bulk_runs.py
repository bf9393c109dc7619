"""An inbox action on every case of a filter, above a few hundred cases (web/inbox_page.py), runs in the worker
(docs/web-app.md, "Bulk actions on every case of a filter").

The web app takes the filter's snapshot at confirmation (`queue_bulk_run`: the ids matched then, not later
arrivals) and answers at once. The worker runs it in chunks of CHUNK cases, each in a transaction of its own that
also moves the run's `position` (`run_chunk`): a crash rolls the chunk's changes back with its position, so the
chunk retried starts from the last commit and changes nothing twice (each case's activity is written once). The
run row is locked for the chunk (SELECT ... FOR UPDATE on PostgreSQL, one writer on SQLite), so two workers on one
run take turns. The last chunk records the counts in the audit log, once. A run whose queued job was lost, or whose
worker died, is taken up by the periodic sweep once it made no progress for STALLED_AFTER.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.errors import UserNotFound
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor
from cxloop.cases.enums import CasePriority
from cxloop.cases.models import CaseBulkRun, CaseBulkRunCase
from cxloop.cases.schemas import Actor, Scope
from cxloop.cases.service.bulk import BulkChange, change_each, change_of, refusal_words
from cxloop.cases.service.records import scope_of
from cxloop.core.clock import utcnow
from cxloop.jobs import dispatch
from cxloop.storage.database import Database

RUN_JOB = "cases.run_bulk"
RESUME_JOB = "cases.resume_bulk_runs"
MAX_RUN = 100_000  # cases one action on every case of a filter may change
# Cases per transaction of a run: on SQLite a chunk holds the one write lock, 25 cases about 90 ms on the busy
# test machine (100 held it 0.5 s for no more throughput; docs/benchmarks.md, "Bulk runs of the inbox").
CHUNK = 25
SHOWN = 100  # skipped cases a run keeps with their reason; beyond them it counts
STALLED_AFTER = timedelta(minutes=2)  # a run with no chunk committed for this long is taken up by the sweep
KEEP_FINISHED = timedelta(days=30)
NO_ONE = Scope(frozenset())  # the scope of a user who is gone or deactivated since: every case is skipped


@dataclass(frozen=True)
class BulkRunRead:
    """A run as the inbox shows it: how far it got (`done` of `total`), its counts and the first skipped cases."""

    id: int
    done_words: str
    filter_words: str
    total: int
    done: int
    changed: int
    skipped: int
    skipped_shown: list[tuple[int, str]]
    created_at: datetime
    finished_at: datetime | None


def queue_bulk_run(
    session: Session,
    *,
    user_id: int,
    actor_name: str,
    audit_actor: AuditActor,
    change: BulkChange,
    case_ids: Sequence[int],
    done_words: str,
    filter_words: str,
) -> CaseBulkRun:
    """Store the run with its snapshot of `case_ids`; the worker runs it once this transaction commits (or the
    sweep, when the job is lost or no worker runs yet)."""
    if not 0 < len(case_ids) <= MAX_RUN:
        raise ValueError(f"a run changes 1 to {MAX_RUN} cases, got {len(case_ids)}")
    now = utcnow()
    distinct = list(dict.fromkeys(case_ids))
    run = CaseBulkRun(
        user_id=user_id,
        actor_name=actor_name[:200],
        action=change.action,
        owner_user_id=change.owner_user_id,
        set_priority=change.set_priority.value if change.set_priority else None,
        resolution=change.resolution,
        done_words=done_words[:300],
        filter_words=filter_words[:200],
        total=len(distinct),
        position=0,
        changed=0,
        skipped=0,
        skipped_shown=[],
        actor=audit_actor.model_dump(mode="json"),
        created_at=now,
        progressed_at=now,
    )
    session.add(run)
    session.flush()
    _store_snapshot(session, run_id=run.id, case_ids=distinct)
    dispatch.after_commit(session, RUN_JOB, {"run_id": run.id})
    return run


# One statement over the ids as one array (PostgreSQL) or JSON text (SQLite), in the confirming request: 100,000
# rows in 0.45 s and 0.07 s, where an executemany of them took 5.7 s and 1.2 s on the busy test machine.
_SNAPSHOT = {
    "postgresql": "INSERT INTO case_bulk_run_cases (run_id, seq, case_id) SELECT :run_id, n - 1, value"
    " FROM unnest(CAST(:ids AS bigint[])) WITH ORDINALITY AS ids(value, n)",
    "sqlite": "INSERT INTO case_bulk_run_cases (run_id, seq, case_id) SELECT :run_id, key, value FROM json_each(:ids)",
}


def _store_snapshot(session: Session, *, run_id: int, case_ids: list[int]) -> None:
    """The run's cases, `seq` in the order given."""
    dialect = session.get_bind().dialect.name
    ids = case_ids if dialect == "postgresql" else json.dumps(case_ids)
    session.execute(text(_SNAPSHOT[dialect]), {"run_id": run_id, "ids": ids})


def _scope_now(session: Session, run: CaseBulkRun) -> Scope:
    """The confirming user's scope as it is now (a role or team changed since counts), none once they are gone."""
    try:
        user = access.require_user(session, user_id=run.user_id) if run.user_id is not None else None
    except UserNotFound:
        user = None
    if user is None or not user.is_active:
        return NO_ONE
    return scope_of(session, role=Role(user.role), user_id=user.id)


def _owner_name(session: Session, run: CaseBulkRun) -> str:
    if run.owner_user_id is None:
        return ""
    try:
        owner = access.require_user(session, user_id=run.owner_user_id)
    except UserNotFound:
        return f"user {run.owner_user_id}"
    return owner.name or owner.email


def run_chunk(session: Session, *, run_id: int, now: datetime) -> bool:
    """Change the run's next CHUNK cases and move its position, in the caller's transaction; True while cases
    remain. A finished (or unknown) run changes nothing, so a job retried after the end is harmless."""
    run = session.scalar(
        select(CaseBulkRun).where(CaseBulkRun.id == run_id).with_for_update().execution_options(populate_existing=True)
    )
    if run is None or run.finished_at is not None:
        return False
    ids = list(
        session.scalars(
            select(CaseBulkRunCase.case_id)
            .where(CaseBulkRunCase.run_id == run.id, CaseBulkRunCase.seq >= run.position)
            .order_by(CaseBulkRunCase.seq)
            .limit(CHUNK)
        )
    )
    change = BulkChange(
        action=run.action,
        owner_user_id=run.owner_user_id,
        set_priority=None if run.set_priority is None else CasePriority(run.set_priority),
        resolution=run.resolution,
    )
    apply = change_of(session, change, actor=Actor(run.actor_name, run.user_id), scope=_scope_now(session, run))
    outcomes = change_each(session, case_ids=ids, change=apply)
    owner = _owner_name(session, run)
    refused = [[o.case_id, refusal_words(o.refusal, owner)] for o in outcomes if o.refusal is not None]
    run.changed += len(outcomes) - len(refused)
    run.skipped += len(refused)
    if refused and len(run.skipped_shown) < SHOWN:
        run.skipped_shown = [*run.skipped_shown, *refused][:SHOWN]
    run.position += len(ids)
    run.progressed_at = now
    if run.position >= run.total:
        run.finished_at = now
        audit.record(
            session,
            actor=AuditActor.model_validate(run.actor),
            action=AuditAction.case_bulk_finished,
            target_id=run.id,
            changes={
                "action": run.action,
                "done": run.done_words,
                "filter": run.filter_words,
                "cases": run.total,
                "changed": run.changed,
                "skipped": run.skipped,
            },
        )
    session.flush()
    return run.finished_at is None


def execute(database: Database, *, run_id: int) -> None:
    """Run the run to its end from where it stands, one transaction per chunk."""
    while True:
        with database.unit_of_work(write=True) as session:
            more = run_chunk(session, run_id=run_id, now=utcnow())
        if not more:
            return


def stalled_run_ids(session: Session, *, now: datetime) -> list[int]:
    """Unfinished runs with no chunk committed for STALLED_AFTER: their job was lost, or their worker died."""
    query = select(CaseBulkRun.id).where(
        CaseBulkRun.finished_at.is_(None), CaseBulkRun.progressed_at < now - STALLED_AFTER
    )
    return list(session.scalars(query.order_by(CaseBulkRun.id)))


def prune_bulk_runs(session: Session, *, now: datetime) -> int:
    """Forget runs finished more than KEEP_FINISHED ago, with their snapshots (the counts stay in the audit log)."""
    old = select(CaseBulkRun.id).where(CaseBulkRun.finished_at < now - KEEP_FINISHED)
    session.execute(delete(CaseBulkRunCase).where(CaseBulkRunCase.run_id.in_(old)))
    gone = session.execute(delete(CaseBulkRun).where(CaseBulkRun.id.in_(old)))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def _read(run: CaseBulkRun) -> BulkRunRead:
    return BulkRunRead(
        id=run.id,
        done_words=run.done_words,
        filter_words=run.filter_words,
        total=run.total,
        done=run.position,
        changed=run.changed,
        skipped=run.skipped,
        skipped_shown=[(int(i), str(why)) for i, why in run.skipped_shown],
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def recent_bulk_runs(session: Session, *, user_id: int, since: datetime, limit: int = 5) -> list[BulkRunRead]:
    """The user's runs not finished yet, or finished since `since`, newest first."""
    query = select(CaseBulkRun).where(
        CaseBulkRun.user_id == user_id, (CaseBulkRun.finished_at.is_(None)) | (CaseBulkRun.finished_at >= since)
    )
    query = query.order_by(CaseBulkRun.id.desc()).limit(limit)
    return [_read(run) for run in session.scalars(query)]
