"""What the churn domain holds about one person (their latest churn score and its factors: profiling, so an access
request shows it and an erasure removes it; docs/privacy.md). Scores hold numbers and feature names: no text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxloop.churn.models import ChurnScore

PRIVACY_TABLES = ("churn_scores",)


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    rows = session.scalars(select(ChurnScore).where(ChurnScore.customer_id == customer_id))
    return {
        "churn_scores": [
            {
                "model_id": s.model_id,
                "probability": s.probability,
                "top_factors": s.top_factors,
                "scored_at": s.scored_at.isoformat(),
            }
            for s in rows
        ]
    }


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    where = ChurnScore.customer_id == customer_id
    count = session.scalar(select(func.count()).select_from(ChurnScore).where(where)) or 0
    session.execute(delete(ChurnScore).where(where))
    return {"churn_scores": count}
