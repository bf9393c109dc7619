"""What the cases domain holds about one person (their cases, with the activity log and feedback links), for
privacy access and erasure requests (docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from cxloop.cases.models import Case, CaseActivity
from cxloop.cases.service.records import case_detail
from cxloop.storage.text_scrub import scrub_columns

# case_triggers, case_activity, case_sla_marks and case_verifications go with their case (ON DELETE CASCADE).
PRIVACY_TABLES = ("cases", "case_triggers", "case_activity", "case_sla_marks", "case_verifications")


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Their cases, each with its feedback ids and activity log."""
    rows = session.scalars(select(Case).where(Case.customer_id == customer_id).order_by(Case.id)).all()
    return {"cases": [case_detail(session, case).model_dump(mode="json") for case in rows]}


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    """Delete their cases (the activity, feedback links and SLA marks go with them)."""
    where = Case.customer_id == customer_id
    count = session.scalar(select(func.count()).select_from(Case).where(where)) or 0
    session.execute(delete(Case).where(where))
    return {"cases": count}


def scrub_customer_text(session: Session, *, needles: Sequence[str]) -> int:
    """Replace a person's identifiers in the titles, resolutions and notes of other customers' cases."""
    changed = scrub_columns(session, cast(Table, Case.__table__), ("title", "resolution"), needles=needles)
    return changed + scrub_columns(session, cast(Table, CaseActivity.__table__), ("note",), needles=needles)
