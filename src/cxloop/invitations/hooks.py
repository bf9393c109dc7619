"""The hook the invitations domain calls, inside the write transaction, whenever an invitation's outcome changes: one
is stored, its status, reason, delivery report or sent/opened/answered times move, or it is deleted. Higher domains
keep counts derived from invitations exact without invitations importing them (analytics' invitation rollups
register here, in cxloop.wiring).

Every write of an invitation goes through the invitations package, which tells the hook (`moving` around a change of
one loaded invitation; the bulk inserts, updates and deletes pass the rows they wrote or removed).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy.orm import Session, object_session

from cxloop.core.hooks import Hook
from cxloop.invitations.models import Invitation


class Outcome(NamedTuple):
    """An invitation as outcome counts see it: when it was created, where it belongs, and what became of it."""

    created_at: datetime
    survey_id: int
    channel: str
    touchpoint_id: int | None
    policy: str | None
    status: str
    reason: str | None
    delivery_status: str | None
    sent: bool  # sent_at is set
    opened: bool  # opened_at is set
    answered: bool  # answered_at is set


# The invitation columns an Outcome is made of: RETURNING these from a bulk statement gives rows for `outcome_from`.
COLUMNS = (
    "created_at",
    "survey_id",
    "channel",
    "touchpoint_id",
    "policy",
    "status",
    "reason",
    "delivery_status",
    "sent_at",
    "opened_at",
    "answered_at",
)


def outcome_from(row: Mapping[Any, Any]) -> Outcome:
    """The outcome of an invitation given as column -> value (a row of COLUMNS, or a dict to insert)."""
    return Outcome(
        row["created_at"],
        row["survey_id"],
        row["channel"],
        row.get("touchpoint_id"),
        row.get("policy"),
        row["status"],
        row.get("reason"),
        row.get("delivery_status"),
        row.get("sent_at") is not None,
        row.get("opened_at") is not None,
        row.get("answered_at") is not None,
    )


def outcome_of(invitation: Invitation) -> Outcome:
    return outcome_from({name: getattr(invitation, name) for name in COLUMNS})


class OutcomesChanged(Protocol):
    def __call__(self, session: Session, *, removed: Sequence[Outcome], added: Sequence[Outcome]) -> None: ...


# Invitations changed: `removed` are their outcomes before (none for new ones), `added` after (none when deleted).
outcomes_changed: Hook[OutcomesChanged] = Hook("invitation outcomes changed", example={"removed": (), "added": ()})


@contextmanager
def moving(invitation: Invitation) -> Iterator[None]:
    """Around a change of one loaded invitation: tells `outcomes_changed` when its outcome moved."""
    before = outcome_of(invitation)
    yield
    after = outcome_of(invitation)
    if after == before:
        return
    session = object_session(invitation)
    if session is None:
        raise RuntimeError(f"invitation {invitation.id} is not in a session: its change cannot be counted")
    outcomes_changed(session, removed=(before,), added=(after,))
