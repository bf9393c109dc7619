"""An inbox action on every case of a filter run by the worker (cases/service/bulk_runs.py), on both databases: in
chunks of their own transactions, each case changed and its activity written once, also when a chunk crashes before
its commit, when the worker dies between chunks and the sweep takes the run up, when two workers run it at once,
and when the job is retried after the end; the counts audited once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.schemas import UserUpdate
from cxloop.audit.enums import ActorKind, AuditAction
from cxloop.audit.models import AuditEntry
from cxloop.audit.schemas import AuditActor
from cxloop.cases import service as cases
from cxloop.cases import tasks
from cxloop.cases.enums import CaseAction
from cxloop.cases.models import CaseActivity, CaseBulkRun, CaseBulkRunCase
from cxloop.cases.schemas import SYSTEM
from cxloop.cases.service import bulk_runs
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer


@dataclass(frozen=True)
class World:
    """An agent's team with four new cases and a resolved one, and a case of another team."""

    agent_id: int
    fresh: list[int]
    resolved: int
    elsewhere: int


class Crash(Exception):
    """The worker dies before the chunk's transaction commits."""


@pytest.fixture
def world(db: Database) -> World:
    with db.unit_of_work() as session:
        agent = make_user(session, name="Ana")
        team, other = make_team(session, members=[agent]), make_team(session)
        made = [
            open_case(session, make_customer(session).id, n + 1, title=f"Problem {n}", team_id=team.id)[0].id
            for n in range(5)
        ]
        elsewhere = open_case(session, make_customer(session).id, 9, title="Theirs", team_id=other.id)[0].id
        cases.transition(session, case_id=made[4], action=CaseAction.resolve, actor=SYSTEM, resolution="Done")
        return World(agent.id, made[:4], made[4], elsewhere)


def _queue(db: Database, world: World, ids: list[int]) -> int:
    with db.unit_of_work(write=True) as session:
        run = cases.queue_bulk_run(
            session,
            user_id=world.agent_id,
            actor_name="Ana",
            audit_actor=AuditActor(kind=ActorKind.user, id=str(world.agent_id), name="ana@example.com"),
            change=cases.BulkChange("acknowledge"),
            case_ids=ids,
            done_words="Acknowledged",
            filter_words="open, any priority",
        )
        return run.id


def _acknowledgements(session: Session, case_ids: list[int]) -> dict[int, int]:
    rows = session.scalars(
        select(CaseActivity).where(CaseActivity.case_id.in_(case_ids), CaseActivity.kind == "status")
    )
    found = dict.fromkeys(case_ids, 0)
    for row in rows:
        if row.detail.get("action") == "acknowledge":
            found[row.case_id] += 1
    return found


def _audited(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == AuditAction.case_bulk_finished.value)))


def _every_case(world: World) -> list[int]:
    return [*world.fresh, world.resolved, world.elsewhere]


def _check_done_once(db: Database, world: World, run_id: int) -> None:
    with db.unit_of_work() as session:
        assert _acknowledgements(session, _every_case(world)) == {
            **dict.fromkeys(world.fresh, 1),
            world.resolved: 0,
            world.elsewhere: 0,
        }
        assert [cases.require_case(session, case_id=i).status for i in world.fresh] == ["acknowledged"] * 4
        run = session.get_one(CaseBulkRun, run_id)
        assert (run.position, run.changed, run.skipped, run.finished_at is not None) == (6, 4, 2, True)
        reasons = dict(run.skipped_shown)
        assert reasons[world.elsewhere] == "it is not among your teams' cases"
        assert "resolved" in reasons[world.resolved]
        entries = _audited(session)
        assert len(entries) == 1 and entries[0].target_id == str(run_id)
        assert entries[0].actor_name == "ana@example.com" and entries[0].actor_kind == "user"
        assert {k: entries[0].changes[k] for k in ("cases", "changed", "skipped")} == {
            "cases": 6,
            "changed": 4,
            "skipped": 2,
        }


def test_a_run_changes_its_cases_in_chunks_and_audits_its_counts_once(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_runs, "CHUNK", 2)
    run_id = _queue(db, world, _every_case(world))
    with db.unit_of_work() as session:
        assert _acknowledgements(session, world.fresh) == dict.fromkeys(world.fresh, 0)  # queued, not run
    tasks.run_bulk(SimpleNamespace(database=db), tasks.BulkRunToDo(run_id=run_id))
    _check_done_once(db, world, run_id)
    # The job retried after the end (the queue's retry, or the sweep racing it) changes nothing more.
    tasks.run_bulk(SimpleNamespace(database=db), tasks.BulkRunToDo(run_id=run_id))
    _check_done_once(db, world, run_id)
    with db.unit_of_work() as session:
        shown = cases.recent_bulk_runs(session, user_id=world.agent_id, since=utcnow() - timedelta(hours=1))
    assert [(r.id, r.done, r.total, r.changed, r.skipped) for r in shown] == [(run_id, 6, 6, 4, 2)]


def test_a_chunk_that_crashes_before_its_commit_changes_nothing_and_the_sweep_resumes_the_run(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_runs, "CHUNK", 2)
    run_id = _queue(db, world, _every_case(world))
    with pytest.raises(Crash), db.unit_of_work(write=True) as session:
        assert bulk_runs.run_chunk(session, run_id=run_id, now=utcnow())
        raise Crash
    with db.unit_of_work() as session:
        assert session.get_one(CaseBulkRun, run_id).position == 0
        assert _acknowledgements(session, world.fresh) == dict.fromkeys(world.fresh, 0)
    with db.unit_of_work(write=True) as session:  # one chunk commits, then the worker dies
        assert bulk_runs.run_chunk(session, run_id=run_id, now=utcnow())
    with db.unit_of_work() as session:
        assert session.get_one(CaseBulkRun, run_id).position == 2
        assert sum(_acknowledgements(session, world.fresh).values()) == 2
    runtime = SimpleNamespace(database=db)
    tasks.resume_bulk_runs(runtime, NoPayload())  # it made progress just now: not stalled, left alone
    with db.unit_of_work() as session:
        assert session.get_one(CaseBulkRun, run_id).position == 2
    with db.unit_of_work(write=True) as session:  # minutes pass with no progress
        earlier = utcnow() - bulk_runs.STALLED_AFTER - timedelta(seconds=1)
        session.execute(update(CaseBulkRun).where(CaseBulkRun.id == run_id).values(progressed_at=earlier))
    tasks.resume_bulk_runs(runtime, NoPayload())
    _check_done_once(db, world, run_id)


def test_two_workers_on_one_run_take_turns_and_change_each_case_once(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_runs, "CHUNK", 1)
    run_id = _queue(db, world, _every_case(world))
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(bulk_runs.execute, db, run_id=run_id) for _ in range(2)]:
            done.result()
    _check_done_once(db, world, run_id)


def test_a_user_gone_since_confirming_changes_nothing_and_the_run_says_so(db: Database, world: World) -> None:
    run_id = _queue(db, world, world.fresh)
    with db.unit_of_work(write=True) as session:
        access.update_user(session, user_id=world.agent_id, data=UserUpdate(is_active=False))
    bulk_runs.execute(db, run_id=run_id)
    with db.unit_of_work() as session:
        run = session.get_one(CaseBulkRun, run_id)
        assert (run.changed, run.skipped) == (0, 4)
        assert _acknowledgements(session, world.fresh) == dict.fromkeys(world.fresh, 0)


def test_finished_runs_are_forgotten_after_a_while_and_a_run_has_cases(db: Database, world: World) -> None:
    run_id = _queue(db, world, world.fresh)
    bulk_runs.execute(db, run_id=run_id)
    with db.unit_of_work(write=True) as session:
        assert session.scalar(select(func.count()).select_from(CaseBulkRunCase)) == 4
        assert bulk_runs.prune_bulk_runs(session, now=utcnow()) == 0
        assert bulk_runs.prune_bulk_runs(session, now=utcnow() + bulk_runs.KEEP_FINISHED + timedelta(hours=1)) == 1
        assert len(_audited(session)) == 1  # the counts stay in the audit log
        assert session.scalar(select(func.count()).select_from(CaseBulkRunCase)) == 0  # the snapshot goes with it
    with pytest.raises(ValueError, match="1 to"), db.unit_of_work(write=True) as session:
        cases.queue_bulk_run(
            session,
            user_id=world.agent_id,
            actor_name="Ana",
            audit_actor=AuditActor.system("test"),
            change=cases.BulkChange("close"),
            case_ids=[],
            done_words="Closed",
            filter_words="open, any priority",
        )
