from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cxloop.access.deps import ViewerDep
from cxloop.analytics import service as analytics
from cxloop.analytics.schemas import MetricResult
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/metrics", tags=["analytics"])


@router.get("/{metric}", response_model=MetricResult)
def get_metric(
    metric: str,
    session: SessionDep,
    _: ViewerDep,
    group_by: Annotated[str | None, Query(description="Comma-separated: month,segment (one time key at most).")] = None,
    tz: Annotated[str, Query(description="IANA zone for local days and the date range.")] = "UTC",
    start: Annotated[str | None, Query(description="A date in tz (2026-01-01) or an ISO-8601 instant.")] = None,
    end: Annotated[str | None, Query(description="A date in tz (inclusive) or an ISO-8601 instant.")] = None,
    segment: Annotated[str | None, Query(description="Segment key.")] = None,
    stage: Annotated[str | None, Query(description="Journey stage key.")] = None,
    touchpoint: Annotated[str | None, Query(description="Touchpoint key.")] = None,
    channel: Annotated[str | None, Query(description="Channel name.")] = None,
    survey: Annotated[str | None, Query(description="Survey key.")] = None,
    account: Annotated[str | None, Query(description="Account external id.")] = None,
    source: Annotated[str, Query(description="responses, feedback (rated items, CSAT only) or all.")] = "all",
) -> MetricResult:
    """NPS, CSAT or CES (`metric`) with n and 95% intervals, grouped and filtered; time groups carry the change."""
    query = analytics.parse_query(
        metric=metric,
        group_by=group_by,
        tz=tz,
        start=start,
        end=end,
        source=source,
        filters={
            "segment": segment,
            "stage": stage,
            "touchpoint": touchpoint,
            "channel": channel,
            "survey": survey,
            "account": account,
        },
    )
    return analytics.compute_metric(session, query=query)
