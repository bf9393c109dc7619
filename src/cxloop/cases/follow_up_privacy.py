"""What follow-ups hold about one person (the messages sent to them, rendered with their name, and their replies),
for privacy access and erasure requests, and their retention (docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, exists, func, select, update
from sqlalchemy.orm import Session

from cxloop.cases.enums import ActivityKind, FollowUpStatus
from cxloop.cases.models import CaseActivity, FollowUp, FollowUpReply
from cxloop.cases.service.follow_ups import follow_up_reads
from cxloop.storage.text_scrub import scrub_columns

PRIVACY_TABLES = ("case_follow_ups", "case_follow_up_replies")


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every follow-up sent (or to be sent) to them, with its address, wording and their replies."""
    rows = session.scalars(select(FollowUp).where(FollowUp.customer_id == customer_id).order_by(FollowUp.id)).all()
    addresses = {row.id: row.address for row in rows}
    return {
        "follow_ups": [
            {**read.model_dump(mode="json"), "address": addresses[read.id]} for read in follow_up_reads(session, rows)
        ]
    }


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    """Delete their follow-ups and replies (their cases' holder deletes the cases)."""
    counts = {}
    for name, model in (("follow_up_replies", FollowUpReply), ("follow_ups", FollowUp)):
        where = model.customer_id == customer_id
        counts[name] = session.scalar(select(func.count()).select_from(model).where(where)) or 0
        session.execute(delete(model).where(where))
    return counts


def scrub_customer_text(session: Session, *, needles: Sequence[str]) -> int:
    """Replace a person's identifiers in the messages and replies of other customers."""
    changed = scrub_columns(session, cast(Table, FollowUp.__table__), ("subject", "body"), needles=needles)
    return changed + scrub_columns(session, cast(Table, FollowUpReply.__table__), ("text",), needles=needles)


# The case activity lines that copy a follow-up's words (the message, its subject, a failure naming the address, a
# reply): their note and these detail keys go with the follow-up's.
_COPIES = (
    ActivityKind.follow_up_sent,
    ActivityKind.improvement_announced,
    ActivityKind.follow_up_failed,
    ActivityKind.customer_reply,
)
_COPIED_DETAIL = ("subject", "reason")


def _unreplied() -> ColumnElement[bool]:
    said = (FollowUpReply.follow_up_id == FollowUp.id) & (FollowUpReply.text != "")
    return ~exists().where(said)


def follow_up_retention(session: Session, *, before: datetime, action: str, limit: int | None) -> int:  # noqa: ARG001
    """Follow-ups asked for before `before` and no longer waiting to be sent, anonymised (the only action): the
    address, subject, text and provider detail go, and so do the text of the customer's replies (whenever they came)
    and the case activity lines that copy them; channel, status, template, times and the case link stay, so the
    first-response clock, the holdout report and "announced once per customer" keep their record. With limit None
    only counted."""
    pending = (
        (FollowUp.created_at < before)
        & (FollowUp.status != FollowUpStatus.queued.value)
        & ((FollowUp.address != "") | ~_unreplied())
    )
    if limit is None:
        return session.scalar(select(func.count()).select_from(FollowUp).where(pending)) or 0
    rows = session.execute(
        select(FollowUp.id, FollowUp.case_id).where(pending).order_by(FollowUp.id).limit(limit)
    ).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    session.execute(update(FollowUp).where(FollowUp.id.in_(ids)).values(address="", subject=None, body="", detail=None))
    session.execute(update(FollowUpReply).where(FollowUpReply.follow_up_id.in_(ids)).values(text=""))
    wanted = set(ids)
    copies = session.scalars(
        select(CaseActivity).where(
            CaseActivity.case_id.in_(sorted({row.case_id for row in rows})),
            CaseActivity.kind.in_([kind.value for kind in _COPIES]),
        )
    )
    for line in copies:
        if (line.detail or {}).get("follow_up_id") in wanted:
            line.note = None
            line.detail = {key: value for key, value in line.detail.items() if key not in _COPIED_DETAIL}
    session.flush()
    return len(ids)
