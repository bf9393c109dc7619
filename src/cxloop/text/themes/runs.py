"""Discovery runs outside any request and any long transaction: the API queues a run and answers at once, the
worker claims it under a lease, reads the comments, clusters them with no transaction open (MiniLM encodes about
fifty comments a second here) and stores the result in one write transaction; then it matches the items beyond the
sample to the new themes in batches (rematch.py), each matched with no transaction open and stored in a short write.
`cxloop text themes discover` runs the same steps in its own process, with its progress bar (docs/themes.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.core.errors import Conflict, NotFound
from cxloop.jobs import dispatch
from cxloop.storage.database import Database
from cxloop.text.queries import latest_sources
from cxloop.text.themes import discovery, embedding, rematch, vectors
from cxloop.text.themes import service as themes
from cxloop.text.themes.enums import RunStatus
from cxloop.text.themes.models import ThemeRun
from cxloop.text.themes.schemas import RunRead

log = logging.getLogger(__name__)

DISCOVER_JOB = "text.themes.discover"
SWEEP_JOB = "text.themes.run_queued_discovery"
# Renewed while the run goes (at each step, and every EMBED_CHUNK comments embedded): a killed worker's run is
# taken up again this long after its last sign of life.
LEASE = timedelta(minutes=10)
EMBED_CHUNK = 5_000
Counted = Callable[[int, int], None]  # (items matched beyond the sample so far, how many there are)


def _unfinished(session: Session, now: datetime) -> ThemeRun | None:
    """A run queued, or running under a live lease."""
    live = or_(
        ThemeRun.status == RunStatus.queued.value,
        (ThemeRun.status == RunStatus.running.value) & (ThemeRun.lease_until > now),
    )
    return session.scalars(select(ThemeRun).where(live).order_by(ThemeRun.id).limit(1)).first()


def _create(session: Session, *, limit: int, embedder: str, status: RunStatus) -> ThemeRun:
    embedding.choose(embedder)  # an unknown embedder, or MiniLM not installed: a 422 naming `embedder`
    now = utcnow()
    busy = _unfinished(session, now)
    if busy is not None:
        raise Conflict(f"discovery run {busy.id} is {busy.status}: wait for it (GET /api/v1/themes/runs/{busy.id})")
    run = themes.new_run(session, status=status, embedder=embedder, limit=limit, at=now)
    if status == RunStatus.running:
        run.lease_until = now + LEASE
    return run


def queue_discovery(session: Session, *, limit: int, embedder: str) -> ThemeRun:
    """A queued run; the worker runs it once this transaction commits (or at its next minute's sweep). 409 while
    another run is queued or running."""
    run = _create(session, limit=limit, embedder=embedder, status=RunStatus.queued)
    dispatch.after_commit(session, DISCOVER_JOB, {"run_id": run.id})
    return run


def start_discovery(session: Session, *, limit: int, embedder: str) -> ThemeRun:
    """A run claimed by the caller (the CLI), to be run with `execute` once this transaction commits."""
    return _create(session, limit=limit, embedder=embedder, status=RunStatus.running)


def get_run(session: Session, *, run_id: int) -> RunRead:
    run = session.get(ThemeRun, run_id)
    if run is None:
        raise NotFound(f"no discovery run {run_id}")
    return RunRead.model_validate(run)


def active_run(session: Session) -> RunRead | None:
    """The run queued or going now, if any (the themes page says so)."""
    run = _unfinished(session, utcnow())
    return RunRead.model_validate(run) if run is not None else None


def due_runs(database: Database) -> list[int]:
    """Queued runs, and runs whose worker stopped renewing its lease: the sweep's work."""
    now = utcnow()
    with database.unit_of_work() as session:
        stale = (ThemeRun.status == RunStatus.running.value) & (ThemeRun.lease_until <= now)
        query = select(ThemeRun.id).where((ThemeRun.status == RunStatus.queued.value) | stale)
        return list(session.scalars(query.order_by(ThemeRun.id)))


def run_discovery(database: Database, *, run_id: int, seed: int = 0) -> RunRead | None:
    """The worker's job: claim the run (queued, or its lease ran out), then `execute` it; None when another worker
    has it or it is finished."""
    now = utcnow()
    with database.unit_of_work(write=True) as session:
        run = session.get(ThemeRun, run_id, with_for_update=True)
        stale = run is not None and run.status == RunStatus.running and (run.lease_until or now) <= now
        if run is None or not (run.status == RunStatus.queued or stale):
            return None
        run.status = RunStatus.running.value
        run.started_at = now
        run.lease_until = now + LEASE
    return execute(database, run_id=run_id, seed=seed)


def execute(
    database: Database,
    *,
    run_id: int,
    progress: discovery.Progress | None = None,
    counted: Counted | None = None,
    seed: int = 0,
) -> RunRead | None:
    """Run a claimed run: read the comments (a read transaction), cluster them with none open (the lease renewed as
    it goes), store the result in one write transaction, then match the items beyond the sample in batches. A run
    whose discovery is stored already (its worker died while matching) carries on with the matching. A failure is
    stored on the run (status failed, error) and returned; None when the lease was lost to another worker."""
    say = progress or (lambda _: None)
    with database.unit_of_work() as session:
        run = session.get_one(ThemeRun, run_id)
        limit, asked, lease, stored = run.requested_limit or 0, run.embedder, run.lease_until, rematch.pending(run)
    try:
        if not stored:
            lease = _discover(database, run_id=run_id, limit=limit, asked=asked, lease=lease, say=say, seed=seed)
        return _match_beyond_sample(database, run_id=run_id, lease=lease, say=say, counted=counted)
    except _LeaseLost:
        return None
    except Exception as exc:
        log.exception("theme discovery run %d failed", run_id)
        with database.unit_of_work(write=True) as session:
            run = session.get_one(ThemeRun, run_id)
            run.status, run.error = RunStatus.failed.value, f"{type(exc).__name__}: {exc}"[:2000]
            run.finished_at, run.lease_until = utcnow(), None
            return RunRead.model_validate(run)


def _discover(
    database: Database,
    *,
    run_id: int,
    limit: int,
    asked: str,
    lease: datetime | None,
    say: discovery.Progress,
    seed: int,
) -> datetime | None:
    """Read, cluster and store the sample's themes; the lease as it stands after."""
    name, embed = embedding.choose(asked)

    def step(what: str) -> None:
        nonlocal lease
        lease = _renew(database, run_id, lease)
        say(what)

    step("reading comments")
    with database.unit_of_work() as session:
        comments = latest_sources(session, limit=limit)
        known = vectors.kept(session, comments) if embed is not None else {}
    matrix: discovery.Vectors | None = None
    fresh: dict[vectors.Key, vectors.Vector] = {}
    if embed is not None:
        step(f"embedding the comments with no stored vector ({len(comments) - len(known):,} of {len(comments):,})")
        matrix, fresh = vectors.complete(comments, known, embed=_chunked(embed, step))
    found = discovery.discover([c.text for c in comments], vectors=matrix, embedder=name, seed=seed, progress=step)
    say("saving")
    with database.unit_of_work(write=True) as session:
        run = _ours(session, run_id, lease)
        themes.apply_discovery(session, run=run, comments=comments, found=found, fresh=fresh)
    return lease


def _match_beyond_sample(
    database: Database, *, run_id: int, lease: datetime | None, say: discovery.Progress, counted: Counted | None
) -> RunRead:
    """Match the items the sample left out, a batch at a time: read (with the taxonomy), match with no transaction
    open, store in a short write that also moves the run's plan on and renews its lease; then finish the run."""
    say("matching older comments")
    count = counted or (lambda _done, _total: None)
    with database.unit_of_work() as session:
        total = rematch.remaining(session, run=session.get_one(ThemeRun, run_id))
    done = 0
    count(done, total)
    while True:
        with database.unit_of_work() as session:
            batch = rematch.next_batch(session, run=session.get_one(ThemeRun, run_id))
            known = vectors.kept(session, batch.comments) if batch else {}
            taxonomy = themes.live_themes(session)
            session.expunge_all()
        if batch is None:
            break
        matched = themes.match(batch.kind, batch.comments, taxonomy, known=known)
        with database.unit_of_work(write=True) as session:
            run = _ours(session, run_id, lease)
            themes.store_rematched(session, run=run, batch=batch, matched=matched)
            run.lease_until = lease = utcnow() + LEASE
        done += len(batch.comments)
        count(done, max(total, done))
    with database.unit_of_work(write=True) as session:
        run = _ours(session, run_id, lease)
        rematch.finish(run)
        return RunRead.model_validate(run)


class _LeaseLost(Exception):
    """Another worker took the run over (this one stalled past its lease)."""


def _ours(session: Session, run_id: int, lease: datetime | None) -> ThemeRun:
    """The run, locked; raises _LeaseLost when its lease is no longer the one this process holds."""
    run = session.get_one(ThemeRun, run_id, with_for_update=True)
    if run.lease_until != lease:
        raise _LeaseLost
    return run


def _renew(database: Database, run_id: int, lease: datetime | None) -> datetime:
    """Extend the run's lease (a short write); raises _LeaseLost when it is no longer ours."""
    with database.unit_of_work(write=True) as session:
        run = _ours(session, run_id, lease)
        run.lease_until = utcnow() + LEASE
        return run.lease_until


def _chunked(embed: embedding.Embed, beat: discovery.Progress) -> embedding.Embed:
    """`embed` in chunks of EMBED_CHUNK texts, renewing the lease and saying how far it got between them."""

    def chunks(texts: Sequence[str]) -> discovery.Vectors:
        parts = []
        for start in range(0, len(texts), EMBED_CHUNK):
            parts.append(embed(texts[start : start + EMBED_CHUNK]))
            done = min(start + EMBED_CHUNK, len(texts))
            beat(f"embedding the comments with no stored vector: {done:,} of {len(texts):,}")
        return np.vstack(parts) if parts else embed(texts)

    return chunks
