"""The anomalies page (/anomalies): what the daily scan of analytics/anomalies.py found and stored (the same as
GET /api/v1/anomalies), periods starting in the chosen range, latest first; and the overview's panel of the latest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cxloop.analytics import anomalies
from cxloop.analytics.schemas import AnomalyRead
from cxloop.branding.current import load_brand
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import ViewerPage
from cxloop.web.filters import PRESETS, parse_filters
from cxloop.web.rendering import render
from cxloop.web.tables import Cell, Column, Row, Table, count, num, text

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
SHOWN = 200
ON_OVERVIEW = 3


def latest(session: Session, *, since: datetime) -> list[AnomalyRead]:
    """The overview's few: the latest anomalies of periods starting on or after `since`."""
    return anomalies.list_anomalies(session, since=since.date(), limit=ON_OVERVIEW)


def anomalies_table(found: list[AnomalyRead], *, key: str = "anomalies") -> Table:
    """What the scan found: each period's value against the baseline, with the margin, n and q-value."""
    rows = tuple(
        Row(
            (
                text(a.period_start.isoformat()),
                text(a.metric.replace("_", " ")),
                text(a.scope),
                text(a.granularity),
                Cell(f"{'▲' if a.direction == 'rise' else '▼'} {a.direction}", (a.direction,)),
                num(a.value),
                num(a.baseline),
                num(a.margin),
                count(a.n),
                count(a.baseline_n),
                num(a.q_value, 3),
                text(a.explanation),
            )
        )
        for a in found
    )
    columns = (
        Column("Period starting"),
        Column("Series"),
        Column("Scope"),
        Column("Period"),
        Column("Direction"),
        Column("Value", numeric=True),
        Column("Baseline", numeric=True),
        Column("± at 95 %", numeric=True),
        Column("n", numeric=True),
        Column("Baseline n", numeric=True),
        Column("q", numeric=True),
        Column("Explanation"),
    )
    return Table(key, "Anomalies, the latest period first", columns, rows)


@router.get("/anomalies")
def anomalies_page(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    metric: Annotated[str, Query(max_length=100)] = "",
    touchpoint: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    view = parse_filters(request.query_params, today=datetime.now(UTC).date())
    every = anomalies.list_anomalies(session, since=view.start, limit=SHOWN)
    metrics = sorted({a.metric for a in every})
    # the touchpoints with a series among them (key -> name in words); another key finds nothing here
    touchpoints = dict(sorted({(a.scope_key, a.scope) for a in every if a.touchpoint_id and a.scope_key}))
    found = (
        anomalies.list_anomalies(
            session, since=view.start, metric=metric or None, touchpoint=touchpoint or None, limit=SHOWN
        )
        if not touchpoint or touchpoint in touchpoints
        else []
    )
    return render(
        request,
        "anomalies.html",
        user=user,
        title=f"Anomalies · {view.range_label}",
        view=view,
        presets=PRESETS,
        found=anomalies_table(found),
        metric=metric,
        metrics=metrics,
        touchpoint=touchpoint,
        touchpoints=touchpoints,
        extra_params={},
    )
