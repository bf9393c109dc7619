"""The items a discovery run did not read (older than its sample, or arrived while it clustered) get the new
taxonomy's themes after it: matched the way the worker matches new comments (service.match), newest first, in
batches. The run keeps what is left as id intervals in `details["rematch"]`, and each batch's themes are stored
with the interval moved past it in one short write, so an interrupted run carries on where it stopped and a batch
done twice gives the same themes (docs/themes.md, "Discovery"). No database writes of its own but the run's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.text.queries import Source, count_between, highest_id, sources_between
from cxloop.text.themes.enums import ItemKind, RunStatus
from cxloop.text.themes.models import ThemeRun

BATCH = 2_000  # items matched per batch: a few seconds' matching, a write of well under a second
PLAN = "rematch"  # details key: kind -> [[above, below], ...], open id intervals still to match, newest first
DONE = "rematched"  # details key: items matched beyond the sample so far

Intervals = dict[str, list[list[int]]]


@dataclass(frozen=True)
class Batch:
    """The next items to match: the newest of the first interval left that holds any."""

    kind: ItemKind
    comments: Sequence[Source]
    above: int
    below: int


def start(session: Session, *, run: ThemeRun, comments: Sequence[Source]) -> None:
    """Plan the items beyond the sample `comments` (older ones, and those that arrived since they were read), and
    finish any earlier run still matching its own (this run's plan covers every item it would have reached)."""
    plan: Intervals = {}
    for kind in ItemKind:
        ids = [c.id for c in comments if c.kind == kind]
        top = highest_id(session, kind=kind)
        intervals = [[max(ids), top + 1], [0, min(ids)]] if ids else [[0, top + 1]]
        plan[kind.value] = [i for i in intervals if i[1] - i[0] > 1]
    run.details = {**run.details, PLAN: plan, DONE: 0}
    earlier = select(ThemeRun).where(ThemeRun.id != run.id, ThemeRun.status == RunStatus.running.value)
    for other in session.scalars(earlier):
        if PLAN in other.details:
            finish(other, superseded_by=run.id)


def pending(run: ThemeRun) -> bool:
    """Whether the run has stored its discovery and has items beyond its sample left to match."""
    return PLAN in run.details


def next_batch(session: Session, *, run: ThemeRun) -> Batch | None:
    plan: Intervals = run.details.get(PLAN, {})
    for kind in ItemKind:
        for above, below in plan.get(kind.value, []):
            found = sources_between(session, kind=kind, above=above, below=below, limit=BATCH)
            if found:
                return Batch(kind, found, above, below)
    return None


def advance(run: ThemeRun, *, batch: Batch) -> None:
    """Move the batch's interval past it (dropped when the batch came short: nothing older is left in it)."""
    plan: Intervals = {k: [list(i) for i in v] for k, v in run.details[PLAN].items()}
    intervals = plan[batch.kind.value]
    position = intervals.index([batch.above, batch.below])
    if len(batch.comments) < BATCH:
        del intervals[position]
    else:
        intervals[position] = [batch.above, min(c.id for c in batch.comments)]
    run.details = {**run.details, PLAN: plan, DONE: int(run.details.get(DONE, 0)) + len(batch.comments)}


def remaining(session: Session, *, run: ThemeRun) -> int:
    """How many items the run has left to match (the progress bar's total)."""
    plan: Intervals = run.details.get(PLAN, {})
    return sum(
        count_between(session, kind=ItemKind(kind), above=above, below=below)
        for kind, intervals in plan.items()
        for above, below in intervals
    )


def finish(run: ThemeRun, *, superseded_by: int | None = None) -> None:
    """The run is done: every item beyond its sample matched (or a later run took over the matching)."""
    details = {k: v for k, v in run.details.items() if k != PLAN}
    if superseded_by is not None:
        details["superseded_by"] = superseded_by
    run.details = details
    run.status = RunStatus.done.value
    run.lease_until = None
    run.finished_at = utcnow()
