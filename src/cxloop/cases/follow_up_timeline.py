"""A customer's follow-ups and their replies on their timeline (cxloop.timeline), limited to the cases the caller
may see: each follow-up (or improvement announcement) when it was asked for, with what became of it (sent and when,
failed and why, or waiting and until when), and each reply as the caller may read it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.cases.enums import FollowUpStatus
from cxloop.cases.models import Case, FollowUp, FollowUpReply
from cxloop.cases.schemas import EVERY_CASE, Scope
from cxloop.core.clock import ensure_utc
from cxloop.storage.timeline import Position, TimelineEntry, read_entries


def _minute(at: datetime | None) -> str:
    return "" if at is None else f"{ensure_utc(at):%Y-%m-%d %H:%M} UTC"


def _outcome(row: FollowUp) -> str:
    if row.status == FollowUpStatus.sent.value:
        return f"sent {_minute(row.sent_at)}"
    if row.status == FollowUpStatus.failed.value:
        return f"failed: {row.detail}" if row.detail else "failed"
    retry = f", retrying after: {row.detail}" if row.attempts and row.detail else ""
    return f"queued, leaves {_minute(row.next_attempt_at)}{retry}"


def _follow_up(row: FollowUp) -> tuple[str, dict[str, Any]]:
    what = "improvement announced" if row.improvement_id else "follow-up"
    about = f": {row.subject}" if row.subject else f" ({row.template})" if row.template else ""
    links = {
        "case_id": row.case_id,
        "follow_up_id": row.id,
        "channel": row.channel,
        "status": row.status,
        "sent_at": None if row.sent_at is None else ensure_utc(row.sent_at).isoformat().replace("+00:00", "Z"),
    }
    return f"{what} by {row.channel}{about} — {_outcome(row)}", links


def _reply(row: FollowUpReply, shown: Callable[[str], str]) -> tuple[str, dict[str, Any]]:
    text = shown(row.text)  # masked (if the caller may not read it as written) before it is cut
    text = text if len(text) <= 200 else text[:199] + "…"
    return f"replied by {row.channel}: {text}", {"case_id": row.case_id, "follow_up_id": row.follow_up_id}


def follow_up_entries(
    session: Session, *, customer_id: int, before: Position | None, limit: int, scope: Scope = EVERY_CASE
) -> list[TimelineEntry]:
    """Their follow-ups (and announcements) by when they were asked for, with their status now."""
    return _entries(session, FollowUp, FollowUp.created_at, _follow_up, customer_id, before, limit, scope)


def follow_up_reply_entries(
    session: Session,
    *,
    customer_id: int,
    before: Position | None,
    limit: int,
    scope: Scope = EVERY_CASE,
    shown: Callable[[str], str] = lambda text: text,
) -> list[TimelineEntry]:
    """Their replies to follow-ups, by when they arrived; `shown` gives each text as the caller may read it."""
    describe = partial(_reply, shown=shown)
    return _entries(session, FollowUpReply, FollowUpReply.received_at, describe, customer_id, before, limit, scope)


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
