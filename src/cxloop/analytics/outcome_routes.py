"""/api/v1/analytics/outcomes, /operations and /agents: CX against churn and revenue, operational measures and
support agents (analytics/outcomes/, docs/analytics.md). Viewers read."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from cxloop.access.deps import ViewerDep
from cxloop.analytics.outcomes import agents, business, operations
from cxloop.analytics.outcomes.schemas import AgentAnalysis, OperationsAnalysis, OutcomeAnalysis
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["analytics"])

Metric = Annotated[str, Query(max_length=16, description="nps, csat or ces.")]
ShortWindow = Annotated[int, Query(ge=1, le=365, description="Days after an event a response still answers it.")]


@router.get("/analytics/outcomes", response_model=OutcomeAnalysis)
def outcomes(
    session: SessionDep,
    _: ViewerDep,
    metric: Metric = "nps",
    segment: Annotated[str | None, Query(max_length=64, description="A segment key (left out: every one).")] = None,
    window_days: Annotated[int, Query(ge=7, le=3650, description="Length of the outcome window.")] = (
        business.DEFAULT_WINDOW_DAYS
    ),
    end: Annotated[date | None, Query(description="Last day of the outcome window (default today).")] = None,
) -> OutcomeAnalysis:
    """Churn in the window by score band of each customer's latest answer before it (Wilson intervals, n), the
    worst band vs the best as a risk ratio per segment (findings after Benjamini-Hochberg), revenue at risk from
    the worst band, and lifetime value by segment and band. Too few churned customers: `ready` false and the
    minimum needed in `explanation`."""
    return business.analyse(session, metric=metric, segment=segment, window_days=window_days, end=end)


@router.get("/analytics/operations", response_model=OperationsAnalysis)
def operations_report(
    session: SessionDep,
    _: ViewerDep,
    metric: Metric = "csat",
    event: Annotated[str | None, Query(max_length=200, description="Event name (left out: every event).")] = None,
    measure: Annotated[str | None, Query(max_length=200, description="A numeric property of `event`.")] = None,
    window_days: ShortWindow = operations.DEFAULT_WINDOW_DAYS,
    bins: Annotated[int, Query(ge=2, le=20)] = operations.DEFAULT_BINS,
    touchpoint: Annotated[str | None, Query(max_length=64, description="Only responses at this touchpoint.")] = None,
) -> OperationsAnalysis:
    """Numeric event properties (ticket wait, transfers, reopens, days late, ...) against the score of the
    response that followed the event: the metric per bin with its interval and n, and the Spearman rank
    correlation with its interval; findings are those significant after Benjamini-Hochberg over all measures."""
    return operations.analyse(
        session,
        metric=metric,
        event=event,
        measure=measure,
        window_days=window_days,
        bins=bins,
        touchpoint=touchpoint,
    )


@router.get("/analytics/agents", response_model=AgentAnalysis)
def agents_report(
    session: SessionDep,
    _: ViewerDep,
    window_days: ShortWindow = agents.DEFAULT_WINDOW_DAYS,
    event: Annotated[str | None, Query(max_length=200, description="Ticket event (ticket_solved, chat_ended).")] = None,
) -> AgentAnalysis:
    """CSAT and NPS per support agent and team (responses after their tickets) with each one's CSAT against
    everyone else's, and wait and resolution time as medians and 90th percentiles with intervals and n."""
    return agents.analyse(session, window_days=window_days, event=event)
