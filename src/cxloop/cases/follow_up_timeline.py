"""A customer's follow-ups and their replies on their timeline (cxloop.timeline), limited to the cases the caller
may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.cases.models import Case, FollowUp, FollowUpReply
from cxloop.cases.schemas import EVERY_CASE, Scope
from cxloop.storage.timeline import Position, TimelineEntry, read_entries


def _follow_up(row: FollowUp) -> tuple[str, dict[str, Any]]:
    what = "improvement announced" if row.improvement_id else "follow-up"
    about = f": {row.subject}" if row.subject else f" ({row.template})" if row.template else ""
    links = {"case_id": row.case_id, "follow_up_id": row.id}
    return f"{what} by {row.channel}{about} — {row.status}", links


def _reply(row: FollowUpReply) -> tuple[str, dict[str, Any]]:
    return f"replied by {row.channel}: {row.text[:200]}", {"case_id": row.case_id, "follow_up_id": row.follow_up_id}


def follow_up_entries(
    session: Session, *, customer_id: int, before: Position | None, limit: int, scope: Scope = EVERY_CASE
) -> list[TimelineEntry]:
    """Their follow-ups (and announcements) by when they were asked for, with their status now."""
    return _entries(session, FollowUp, FollowUp.created_at, _follow_up, customer_id, before, limit, scope)


def follow_up_reply_entries(
    session: Session, *, customer_id: int, before: Position | None, limit: int, scope: Scope = EVERY_CASE
) -> list[TimelineEntry]:
    """Their replies to follow-ups, by when they arrived."""
    return _entries(session, FollowUpReply, FollowUpReply.received_at, _reply, customer_id, before, limit, scope)


def _entries(
    session: Session,
    model: type[FollowUp] | type[FollowUpReply],
    at: Any,
    describe: Any,
    customer_id: int,
    before: Position | None,
    limit: int,
    scope: Scope,
) -> list[TimelineEntry]:
    query = select(model).where(model.customer_id == customer_id)
    if scope.team_ids is not None:
        query = query.where(model.case_id.in_(select(Case.id).where(Case.team_id.in_(sorted(scope.team_ids)))))
    kind = "follow_up" if model is FollowUp else "follow_up_reply"
    return read_entries(session, query, kind=kind, at=at, id_=model.id, before=before, limit=limit, describe=describe)
