"""What the alerts domain holds about one person (the alerts fired on their responses and feedback), for privacy
access and erasure requests (docs/privacy.md). Alerts hold ids and tags only: no text to scrub."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxloop.alerts.models import Alert
from cxloop.alerts.schemas import AlertRead

PRIVACY_TABLES = ("alerts",)


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    rows = session.scalars(select(Alert).where(Alert.customer_id == customer_id).order_by(Alert.id))
    return {"alerts": [AlertRead.model_validate(a).model_dump(mode="json") for a in rows]}


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    where = Alert.customer_id == customer_id
    count = session.scalar(select(func.count()).select_from(Alert).where(where)) or 0
    session.execute(delete(Alert).where(where))
    return {"alerts": count}
