"""Queue jobs when the transaction that made them necessary commits, never before (and never after a rollback).

A service calls `after_commit(session, name, payload)`; the jobs wait in `session.info` and go to the queue from
SQLAlchemy's after_commit hook, so a worker never looks for rows that are not committed yet. The process installs
how to enqueue (`install`, done by `cxloop.wiring` with the Huey queue of its settings); without one, nothing is
queued and the periodic sweeps find the work instead. Enqueueing after commit leaves a gap (the process dies between
the commit and the enqueue, or the queue is down): every job queued this way must therefore have a periodic sweep
that finds the same work from the database (docs/triggers-and-worker.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

Enqueue = Callable[[str, dict[str, Any]], None]
_PENDING = "cxloop.jobs.pending"
_enqueue: Enqueue | None = None


def install(enqueue: Enqueue | None) -> None:
    """Set how this process queues jobs (None: it does not)."""
    global _enqueue
    _enqueue = enqueue


def installed() -> Enqueue | None:
    return _enqueue


def after_commit(session: Session, name: str, payload: dict[str, Any]) -> None:
    """Queue job `name` with `payload` once the session's transaction commits."""
    session.info.setdefault(_PENDING, []).append((name, payload))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or _enqueue is None:
        return
    for name, payload in pending:
        try:
            _enqueue(name, payload)
        except Exception:  # the commit stands; the periodic sweep finds the work
            log.exception("could not queue job %r; the periodic sweep will pick its work up", name)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    # Only when the outermost transaction ends (rolled back; a commit has sent them already): a savepoint rolled
    # back inside it (invitations.invite uses one) must not drop the jobs of the work that stays.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
