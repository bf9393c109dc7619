"""GET /api/v1/invitation-report: is anybody over-surveyed, and who answers? (docs/governance.md)"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from cxloop.access.deps import ViewerDep
from cxloop.analytics.fatigue import fatigue_report
from cxloop.core.time_range import TimeRangeDep
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["analytics"])


class FatigueRowRead(BaseModel):
    group: str
    invitations: int
    suppressed: int
    suppressed_by_reason: dict[str, int]
    pending: int
    sent: int
    failed: int
    opened: int
    answered: int
    delivery: dict[str, int]
    response_rate: float | None
    response_rate_ci: tuple[float, float] | None
    suppression_rate: float | None


class FatigueReport(BaseModel):
    group_by: str | None
    rows: list[FatigueRowRead]


@router.get("/invitation-report", response_model=FatigueReport)
def invitation_report(
    session: SessionDep,
    _: ViewerDep,
    window: TimeRangeDep,
    group_by: Literal["channel", "survey", "touchpoint", "policy"] | None = None,
) -> FatigueReport:
    """Invitations decided, suppressed (by reason), pending, sent, failed, opened and answered, what providers
    reported about delivery (`delivery`: delivered, undelivered, bounced, ... per status), with the response
    rate (answered / sent, n = sent) and its 95% Wilson interval; overall or per channel, survey or touchpoint."""
    rows = fatigue_report(session, group_by=group_by, since=window.since, until=window.until)
    return FatigueReport(group_by=group_by, rows=[FatigueRowRead.model_validate(row.__dict__) for row in rows])
