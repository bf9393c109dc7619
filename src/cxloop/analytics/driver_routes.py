"""/api/v1/analytics/drivers (docs/analytics.md, "Key drivers"): viewers read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cxloop.access.deps import ViewerDep
from cxloop.analytics.drivers import service as key_drivers
from cxloop.analytics.drivers.schemas import DriverReport
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["analytics"])

Day = Annotated[str | None, Query(max_length=40, description="A date (2026-01-01) or an ISO-8601 instant.")]


@router.get("/analytics/drivers", response_model=DriverReport)
def drivers(
    session: SessionDep,
    _: ViewerDep,
    metric: Annotated[str, Query(max_length=16, description="nps, csat or ces.")] = "nps",
    segment: Annotated[str | None, Query(max_length=64, description="A segment key (left out: all).")] = None,
    start: Day = None,
    end: Day = None,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
) -> DriverReport:
    """Which themes, touchpoints, stages, channels, plans, segments and helpdesk measures move the metric most:
    each driver's effect and what fixing it is worth, with 95% intervals and n, and the model's fit on answers it
    was not fitted on. Too few answers: `enough` false and an explanation naming the minimum. 422 names an unknown
    metric, segment or zone, or a bad date."""
    return key_drivers.analyse(session, metric=metric, segment=segment, start=start, end=end, tz=tz)
