"""What follow-ups hold about one person (the messages sent to them, rendered with their name, and their replies),
for privacy access and erasure requests (docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from cxloop.cases.models import FollowUp, FollowUpReply
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
