"""/api/v1/cases/recovery and /api/v1/cases/holdout-report: what resolving cases and following up achieved
(docs/cases.md "Recovery report" and "Holdout"). Read-only, for viewers and up, like the SLA report; `since`/`until`
(and `tz`) are the API's time filters (docs/api.md "Date and time filters")."""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.access.deps import ViewerDep
from cxloop.cases import service as cases
from cxloop.cases.schemas import HoldoutReport, RecoveryReport
from cxloop.core.time_range import TimeRangeDep
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["cases"])


@router.get("/cases/recovery", response_model=RecoveryReport)
def recovery(session: SessionDep, _: ViewerDep, window: TimeRangeDep) -> RecoveryReport:
    """Of verified detractors (CSAT 1-3, CES 1-4), the share that recovered (NPS 7-10, CSAT 4-5, CES 5-7), overall
    and by team, root cause and channel, each with n, a 95 % Wilson interval and `small` under `min_n`; verifications
    answered in [since, until)."""
    return cases.recovery_report(session, since=window.since, until=window.until)


@router.get("/cases/holdout-report", response_model=HoldoutReport)
def holdout_report(session: SessionDep, _: ViewerDep, window: TimeRangeDep) -> HoldoutReport:
    """Churn (Fisher's exact test) and the next score (Welch's t-test) of followed-up vs held-out customers, each
    with n and 95 % intervals, the difference with its interval and a sentence; each customer's first case created
    in [since, until)."""
    return cases.holdout_report(session, since=window.since, until=window.until)
