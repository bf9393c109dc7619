"""The analysis pages under /insights (read-only, viewers): key drivers, outcomes (churn by score band, revenue at
risk, operations, agents), the churn model with its top-risk customers, experiments and CX maturity. Each page shows
what the API of the same analysis answers (GET /api/v1/analytics/drivers, /outcomes, /operations, /agents, /churn,
/experiments, /maturity), with its n, intervals and small-sample flags, and says in plain words when the data cannot
support it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.analytics.drivers import service as key_drivers
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes import business
from cxloop.branding.current import load_brand
from cxloop.churn import service as churn
from cxloop.core.errors import NotFound
from cxloop.customers import service as customers
from cxloop.experiments import results as experiment_results
from cxloop.experiments import service as experiments
from cxloop.precomputed import registry
from cxloop.storage.deps import SessionDep
from cxloop.web import insights_tables, overview, stored_analysis
from cxloop.web.auth import ViewerPage
from cxloop.web.filters import BadFilter, parse_filters
from cxloop.web.rendering import render
from cxloop.web.routes import filter_bar

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
TZ = "UTC"
TOP_RISK = 25  # customers shown on the churn page, highest risk first
METRIC_NAMES = {kind: str(spec["name"]) for kind, spec in overview.METRICS.items()}
# The sub-pages, in the order of the tabs under the title.
TABS = (
    ("Drivers", "/insights/drivers"),
    ("Outcomes", "/insights/outcomes"),
    ("Churn risk", "/insights/churn"),
    ("Experiments", "/insights/experiments"),
    ("Maturity", "/insights/maturity"),
)


def _metric(value: str) -> MetricKind:
    if value not in MetricKind.__members__:
        raise BadFilter("metric", f"'{value[:20]}' is not one of: nps, csat, ces")
    return MetricKind(value)


def _segment(session: Session, key: str | None) -> str | None:
    """A known segment's key (checked here, cheaply, so a page never waits for the worker to say it is unknown)."""
    if key and customers.get_segment(session, key=key.strip()) is None:
        raise BadFilter("segment", f"no segment has the key '{key[:64]}'")
    return key.strip() if key else None


@router.get("/insights")
def insights(_: ViewerPage) -> Response:
    """The section's first page."""
    return RedirectResponse(TABS[0][1], status_code=303)


@router.get("/insights/drivers")
def drivers_page(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    metric: Annotated[str, Query(max_length=10)] = "nps",
) -> Response:
    """What moves the metric most, with each driver's impact and its 95 % interval, for the chosen segment and dates."""
    view = parse_filters(request.query_params, today=datetime.now(UTC).date())
    kind = _metric(metric)
    segment_only = view.with_dims(**{k: v for k, v in view.dims.items() if k == "segment"})  # the analysis' one filter
    params = registry.DriversParams(
        metric=kind.value, segment=_segment(session, view.dims.get("segment")), start=view.start, end=view.end
    )
    found = stored_analysis.load(request, session, registry.DRIVERS, params)
    report = found.value
    chart = [
        {
            "label": d.label,
            "impact": d.impact,
            "low": d.impact_ci_low,
            "high": d.impact_ci_high,
            "n": d.n,
            "significant": d.significant,
            "small": d.small_sample,
        }
        for d in (report.drivers if report else [])
    ]
    return render(
        request,
        "insights_drivers.html",
        user=user,
        **filter_bar(session, segment_only, f"Drivers of {METRIC_NAMES[kind]}"),
        tabs=TABS,
        metric=kind,
        metric_names=METRIC_NAMES,
        extra_params={"metric": kind.value},
        found=found,
        can_refresh=user.role.includes(Role.analyst),
        report=report,
        drivers=insights_tables.drivers_table(report, METRIC_NAMES[kind]) if report else None,
        chart={"metric": METRIC_NAMES[kind], "unit": key_drivers.UNITS[kind], "drivers": chart},
    )


@router.get("/insights/outcomes")
def outcomes_page(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    metric: Annotated[str, Query(max_length=10)] = "nps",
    segment: Annotated[str, Query(max_length=64)] = "",
    window_days: Annotated[int, Query(ge=7, le=3650)] = business.DEFAULT_WINDOW_DAYS,
    end: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """Churn by score band with revenue at risk; the operational measures and the agents table load after it."""
    kind = _metric(metric)
    try:
        last_day = date.fromisoformat(end) if end else None
    except ValueError:
        raise BadFilter("end", f"'{end}' is not a date (2026-11-30)") from None
    params = registry.OutcomesParams(
        metric=kind.value,
        segment=_segment(session, segment),
        window_days=window_days,
        end=last_day or datetime.now(UTC).date(),
    )
    found = stored_analysis.load(request, session, registry.OUTCOMES, params)
    outcome = found.value
    return render(
        request,
        "insights_outcomes.html",
        user=user,
        title=f"Outcomes · {METRIC_NAMES[kind]} · {window_days} days to {params.end}",
        found=found,
        can_refresh=user.role.includes(Role.analyst),
        tabs=TABS,
        metric=kind,
        metric_names=METRIC_NAMES,
        segment=segment,
        segments=[(s.key, s.name) for s in customers.list_segments(session, limit=200).items],
        window_days=window_days,
        end=end,
        window_end=params.end.isoformat(),
        outcome=outcome,
        churn_tables=insights_tables.outcome_tables(outcome) if outcome else [],
    )


@router.get("/insights/partials/operations")
def operations_panel(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """The outcomes page's operational measures, loaded after the page (testing every measure is slow)."""
    found = stored_analysis.load(request, session, registry.OPERATIONS, registry.NoParams())
    ops = found.value
    table = insights_tables.operations_table(ops, METRIC_NAMES) if ops else None
    return render(
        request,
        "_insights_operations.html",
        user=user,
        found=found,
        can_refresh=user.role.includes(Role.analyst),
        ops=ops,
        metric_names=METRIC_NAMES,
        measures=table,
    )


@router.get("/insights/partials/agents")
def agents_panel(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """The outcomes page's table of support agents and teams, loaded after the page."""
    found = stored_analysis.load(request, session, registry.AGENTS, registry.NoParams())
    people = found.value
    return render(
        request,
        "_insights_agents.html",
        user=user,
        found=found,
        can_refresh=user.role.includes(Role.analyst),
        people=people,
        tables=insights_tables.agents_tables(people) if people else [],
    )


@router.get("/insights/churn")
def churn_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """The churn model's evaluation on customers it did not train on, and the customers most at risk."""
    report = churn.report(session)
    top = churn.list_customers(session, limit=TOP_RISK)
    return render(
        request,
        "insights_churn.html",
        user=user,
        title="Churn risk",
        tabs=TABS,
        report=report,
        top=top,
        tables={t.key: t for t in insights_tables.churn_tables(report, top)},
    )


@router.get("/insights/experiments")
def experiments_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """Every experiment, newest first, each opening its results."""
    found = [experiments.read(session, e) for e in experiments.list_experiments(session)]
    return render(
        request,
        "insights_experiments.html",
        user=user,
        title="Experiments",
        tabs=TABS,
        experiments=insights_tables.experiments_table(found),
    )


@router.get("/insights/experiments/{key}")
def experiment_page(
    request: Request, session: SessionDep, user: ViewerPage, key: Annotated[str, Path(max_length=64)]
) -> Response:
    """One experiment's metric per variant and each treatment against the control."""
    try:
        found = experiment_results.results(session, key=key)
    except NotFound:
        return render(
            request,
            "message.html",
            user=user,
            status_code=404,
            title="No such experiment",
            message=f"There is no experiment '{key}'.",
            back="/insights/experiments",
            back_label="Every experiment",
        )
    return render(
        request,
        "insights_experiment.html",
        user=user,
        title=f"Experiment · {found.experiment.name}",
        tabs=TABS,
        current="/insights/experiments",
        found=found,
        metric_names=METRIC_NAMES,
        tables=insights_tables.experiment_tables(found, METRIC_NAMES[found.experiment.metric]),
    )


@router.get("/insights/maturity")
def maturity_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """Listen, understand and act on 1-5, each with its evidence and the next concrete step."""
    stored = stored_analysis.load(request, session, registry.MATURITY, registry.NoParams())
    return render(
        request,
        "insights_maturity.html",
        user=user,
        title="CX maturity",
        tabs=TABS,
        stored=stored,
        can_refresh=user.role.includes(Role.analyst),
        found=stored.value,
        evidence=insights_tables.evidence_tables(stored.value) if stored.value else [],
    )
