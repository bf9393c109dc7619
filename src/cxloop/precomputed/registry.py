"""The one registry of precomputed analyses: each names the analysis, its parameters (a pydantic model whose JSON,
keys sorted, is the stored row's key), how to compute it (the service function the API route calls too) and how
its result is stored (a pydantic TypeAdapter over the API's own schema).

    ANALYSES["drivers"].compute(session, DriversParams(metric="nps", start=..., end=...))  # -> DriverReport

The API routes call the same functions live; only the web pages read the stored results (docs/web-app.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy.orm import Session

from cxloop.analytics import service as analytics
from cxloop.analytics.drivers import service as key_drivers
from cxloop.analytics.drivers.schemas import DriverReport
from cxloop.analytics.enums import GroupKey, MetricKind
from cxloop.analytics.outcomes import agents, business, operations
from cxloop.analytics.outcomes.schemas import AgentAnalysis, OperationsAnalysis, OutcomeAnalysis
from cxloop.analytics.schemas import MetricQuery, MetricResult
from cxloop.analytics.service import PeriodComparison
from cxloop.maturity import service as maturity
from cxloop.maturity.schemas import MaturityRead
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import ThemeRead

P = TypeVar("P", bound=BaseModel)
R = TypeVar("R")
TZ = "UTC"  # the pages' days are UTC days (web/insights_page.py)


class NoParams(BaseModel):
    """The parameters of an analysis that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DriversParams(BaseModel):
    """Key drivers of one metric for one segment (None: every customer) over [start, end] (UTC days)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    metric: str
    segment: str | None = None
    start: date
    end: date


class OutcomesParams(BaseModel):
    """Churn by band of one metric, for one segment or all, in the `window_days` days ending `end`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    metric: str
    segment: str | None = None
    window_days: int
    end: date


class FilterKeys(BaseModel):
    """A page's filters of responses by key, as MetricQuery takes them (resolved to ids when computed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    segment: str | None = None
    stage: str | None = None
    touchpoint: str | None = None
    channel: str | None = None
    survey: str | None = None


class MetricParams(FilterKeys):
    """One metric over [start, end] (days in `tz`), filtered by the keys given: the overview's score cards that the
    rollups cannot answer (two filters or more), against the period of the same length just before."""

    metric: MetricKind
    tz: str
    start: date
    end: date

    def query(self) -> MetricQuery:
        """The metric query it stands for, as the page would compute it live."""
        return MetricQuery(**self.model_dump())

    def previous(self) -> MetricQuery:
        """The same query over the period of the same length that ends the day before `start`."""
        end = self.start - timedelta(days=1)
        return self.query().model_copy(update={"start": end - (self.end - self.start), "end": end})


class GroupedMetricParams(MetricParams):
    """The metric grouped by one key (a dimension or a time bucket): the overview's panels that the rollups cannot
    answer (a breakdown within a filter)."""

    by: GroupKey

    def query(self) -> MetricQuery:
        return MetricQuery(group_by=[self.by], **self.model_dump(exclude={"by"}))


class TopThemesParams(FilterKeys):
    """The most mentioned themes per touchpoint among the responses given over [start, end] (UTC days), within the
    page's filters."""

    start: date
    end: date


@dataclass(frozen=True)
class Analysis(Generic[P, R]):
    """One precomputable analysis. `max_age`: a result older than this is stale even when the data stamp
    (queries.py) is unchanged, for what the stamp does not watch."""

    name: str
    params: type[P]
    compute: Callable[[Session, P], R]
    result: TypeAdapter[R]
    max_age: timedelta = timedelta(days=1)

    def key(self, params: P) -> str:
        """The stored row's parameters: the model's JSON with its keys sorted."""
        return canonical(params)

    def dump(self, value: R) -> str:
        return self.result.dump_json(value).decode()

    def load(self, stored: str) -> R:
        return self.result.validate_json(stored)

    def parse(self, stored_params: str) -> P:
        return self.params.model_validate_json(stored_params)


def canonical(params: BaseModel) -> str:
    return json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _themes(session: Session, _: NoParams) -> list[ThemeRead]:
    return themes.list_themes(session, include_hidden=True)  # the page hides them from whoever may not edit


def _drivers(session: Session, p: DriversParams) -> DriverReport:
    return key_drivers.analyse(
        session, metric=p.metric, segment=p.segment, start=p.start.isoformat(), end=p.end.isoformat(), tz=TZ
    )


def _outcomes(session: Session, p: OutcomesParams) -> OutcomeAnalysis:
    return business.analyse(session, metric=p.metric, segment=p.segment, window_days=p.window_days, end=p.end)


def _grouped_metric(session: Session, p: GroupedMetricParams) -> MetricResult:
    return analytics.compute_metric(session, query=p.query())


def _top_themes(session: Session, p: TopThemesParams) -> dict[int, list[tuple[str, int]]]:
    # The filters resolved as the metric queries resolve them: an unknown key is the same InvalidInput.
    within = analytics.resolve_filters(session, MetricQuery(metric=MetricKind.nps, **p.model_dump()))
    since = datetime.combine(p.start, time.min, UTC)
    until = since + timedelta(days=(p.end - p.start).days + 1)
    return themes.top_themes_by_touchpoint(session, since=since, until=until, within=within)


def _comparison(session: Session, p: MetricParams) -> PeriodComparison:
    return analytics.compare_periods(session, query=p.query(), previous=p.previous())


def _operations(session: Session, _: NoParams) -> OperationsAnalysis:
    return operations.analyse(session)


def _agents(session: Session, _: NoParams) -> AgentAnalysis:
    return agents.analyse(session)


def _maturity(session: Session, _: NoParams) -> MaturityRead:
    return maturity.assess(session)


THEMES: Analysis[NoParams, list[ThemeRead]] = Analysis("themes", NoParams, _themes, TypeAdapter(list[ThemeRead]))
DRIVERS: Analysis[DriversParams, DriverReport] = Analysis("drivers", DriversParams, _drivers, TypeAdapter(DriverReport))
OUTCOMES: Analysis[OutcomesParams, OutcomeAnalysis] = Analysis(
    "outcomes", OutcomesParams, _outcomes, TypeAdapter(OutcomeAnalysis)
)
OPERATIONS: Analysis[NoParams, OperationsAnalysis] = Analysis(
    "operations", NoParams, _operations, TypeAdapter(OperationsAnalysis)
)
AGENTS: Analysis[NoParams, AgentAnalysis] = Analysis("agents", NoParams, _agents, TypeAdapter(AgentAnalysis))
# Maturity also reads settings the data stamp does not watch (surveys, alert rules, targets, experiments, triggers).
MATURITY: Analysis[NoParams, MaturityRead] = Analysis(
    "maturity", NoParams, _maturity, TypeAdapter(MaturityRead), max_age=timedelta(hours=1)
)

GROUPED_METRIC: Analysis[GroupedMetricParams, MetricResult] = Analysis(
    "grouped_metric", GroupedMetricParams, _grouped_metric, TypeAdapter(MetricResult)
)

COMPARISON: Analysis[MetricParams, PeriodComparison] = Analysis(
    "metric_comparison", MetricParams, _comparison, TypeAdapter(PeriodComparison)
)
# The journey map's theme chips: touchpoint id -> (theme name, responses), most mentioned first.
TOP_THEMES: Analysis[TopThemesParams, dict[int, list[tuple[str, int]]]] = Analysis(
    "top_themes_by_touchpoint", TopThemesParams, _top_themes, TypeAdapter(dict[int, list[tuple[str, int]]])
)

ANALYSES: dict[str, Analysis[Any, Any]] = {
    a.name: a for a in (THEMES, DRIVERS, OUTCOMES, OPERATIONS, AGENTS, MATURITY, GROUPED_METRIC, COMPARISON, TOP_THEMES)
}
