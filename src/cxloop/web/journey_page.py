"""The journey map (/journey): the stages of a journey left to right, each touchpoint a tile with its metric (value,
95 % interval, n), its response rate (with its Wilson interval) and its top themes, read against the whole journey.

Where the experience breaks down: a tile whose interval lies wholly below the journey's value (n at least the
metric's minimum) is "below the journey, significant"; the lowest of them, and of the stages, is marked as where it
breaks down. A tile within noise is never coloured as good or bad."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.analytics import metrics as metric_registry
from cxloop.analytics import service as analytics
from cxloop.analytics.enums import FatigueGroup, GroupKey, MetricKind
from cxloop.analytics.fatigue import FatigueRow
from cxloop.analytics.schemas import MetricQuery, MetricValue
from cxloop.branding.current import load_brand
from cxloop.core.errors import InvalidInput
from cxloop.journeys import service as journeys
from cxloop.journeys.schemas import JourneyRead
from cxloop.precomputed import registry
from cxloop.storage.deps import SessionDep
from cxloop.web import overview, stored_analysis
from cxloop.web.auth import ViewerPage
from cxloop.web.filters import BadFilter, View, parse_filters
from cxloop.web.rendering import render
from cxloop.web.routes import filter_bar
from cxloop.web.tables import Column, Row, Table, count, text, with_interval

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
TZ = "UTC"
TopThemes = dict[int, list[tuple[str, int]]]  # touchpoint id -> (theme, responses), the stored top_themes analysis


@dataclass(frozen=True)
class Tile:
    """A stage or touchpoint's metric against the journey's: `level` below / above (significant), within, small."""

    key: str
    name: str
    value: MetricValue | None
    journey_value: float | None
    min_n: int
    rate: FatigueRow | None = None
    themes: tuple[tuple[str, int], ...] = ()
    breaks_down: bool = False

    @property
    def level(self) -> str:
        v = self.value
        if v is None or v.n == 0 or v.value is None:
            return "none"
        if v.n < self.min_n or v.ci_low is None or v.ci_high is None or self.journey_value is None:
            return "small"
        if v.ci_high < self.journey_value:
            return "below"
        if v.ci_low > self.journey_value:
            return "above"
        return "within"

    @property
    def words(self) -> str:
        return {
            "none": "no answers",
            "small": "too few to read",
            "below": "below the journey, significant",
            "above": "above the journey, significant",
            "within": "within noise of the journey",
        }[self.level]


def _grouped(
    session: Session, view: View, metric: MetricKind, by: GroupKey
) -> tuple[MetricValue, dict[str, MetricValue]]:
    query = MetricQuery(metric=metric, tz=TZ, start=view.start, end=view.end, group_by=[by], **view.dims)
    result = analytics.compute_metric(session, query=query)
    return result.total, {str(g.keys.get(by.value)): g for g in result.groups}


def _mark_lowest(tiles: list[Tile]) -> list[Tile]:
    below = [t for t in tiles if t.level == "below" and t.value is not None and t.value.value is not None]
    if not below:
        return tiles
    lowest = min(below, key=lambda t: t.value.value if t.value and t.value.value is not None else 0.0)
    return [Tile(**{**t.__dict__, "breaks_down": True}) if t is lowest else t for t in tiles]


@dataclass(frozen=True)
class StageColumn:
    stage: Tile
    touchpoints: list[Tile]


def journey_map(
    session: Session, journey: JourneyRead, view: View, metric: MetricKind, top: TopThemes
) -> tuple[MetricValue, list[StageColumn]]:
    """The tiles: metrics and response rates live (from the rollups), the theme chips from `top` (stored)."""
    minimum = metric_registry.min_n(metric)
    total, by_stage = _grouped(session, view, metric, GroupKey.stage)
    _, by_touchpoint = _grouped(session, view, metric, GroupKey.touchpoint)
    rates = {row.group: row for row in overview.response_rates(session, view, TZ, FatigueGroup.touchpoint)}
    stage_tiles = _mark_lowest([Tile(s.key, s.name, by_stage.get(s.key), total.value, minimum) for s in journey.stages])
    touchpoint_tiles = _mark_lowest(
        [
            Tile(
                t.key,
                t.name,
                by_touchpoint.get(t.key),
                total.value,
                minimum,
                rate=rates.get(str(t.id)),
                themes=tuple(top.get(t.id, ())),
            )
            for s in journey.stages
            for t in s.touchpoints
        ]
    )
    by_key = {t.key: t for t in touchpoint_tiles}
    columns = [
        StageColumn(tile, [by_key[t.key] for t in s.touchpoints])
        for s, tile in zip(journey.stages, stage_tiles, strict=True)
    ]
    return total, columns


def figures_table(columns: list[StageColumn], metric: MetricKind) -> Table:
    """The map as a table: every stage and touchpoint with its metric, interval, n, reading and response rate."""
    spec = overview.METRICS[metric]
    digits, signed = spec["digits"], spec["signed"]
    rows = []
    for column in columns:
        for tile, kind in ((column.stage, "stage"), *((t, "touchpoint") for t in column.touchpoints)):
            v = tile.value
            rate = tile.rate
            low, high = (rate.response_rate_ci or (None, None)) if rate else (None, None)
            cells = (
                text(tile.name),
                text(kind),
                with_interval(
                    v.value if v else None, v.ci_low if v else None, v.ci_high if v else None, digits, signed=signed
                ),
                count(v.n if v else 0),
                text(tile.words + (", breaks down here" if tile.breaks_down else "")),
                with_interval(rate.response_rate if rate else None, low, high, 1),
                count(rate.sent if rate else None),
                text(", ".join(name for name, _ in tile.themes) or None),
            )
            rows.append(Row(cells, small=tile.level == "small"))
    table_columns = (
        Column("Stage or touchpoint"),
        Column("Kind"),
        Column.with_interval(spec["name"]),
        Column("n", numeric=True),
        Column("Reading"),
        Column.with_interval("Response rate %"),
        Column("Sent", numeric=True),
        Column("Top themes"),
    )
    return Table("journey", f"{spec['name']} by stage and touchpoint", table_columns, tuple(rows))


@router.get("/journey")
def journey_page(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    journey: Annotated[str, Query(max_length=120)] = "",
    metric: Annotated[str, Query(max_length=10)] = "nps",
) -> Response:
    """The stages and touchpoints of a journey (the default one unless `journey` names another) with their figures."""
    view = parse_filters(request.query_params, today=datetime.now(UTC).date())
    if metric not in MetricKind.__members__:
        raise BadFilter("metric", f"'{metric[:20]}' is not one of: nps, csat, ces")
    kind = MetricKind(metric)
    every = list(journeys.list_journeys(session))
    chosen = next((j for j in every if j.key == journey), None) if journey else (every[0] if every else None)
    if journey and chosen is None:
        raise BadFilter("journey", f"there is no journey '{journey[:40]}'")
    shown = journeys.journey_read(session, chosen) if chosen is not None else None
    total: MetricValue | None = None
    columns: list[StageColumn] = []
    top_themes = None
    if shown is not None:
        # The chips read every theme mention in the range and the filters: the stored result
        # (web/stored_analysis.py), computed inline for a small organisation or without a worker.
        params = registry.TopThemesParams(start=view.start, end=view.end, **view.dims)
        try:
            analytics.check_query(session, MetricQuery(metric=kind, tz=TZ, start=view.start, end=view.end, **view.dims))
            top_themes = stored_analysis.load(request, session, registry.TOP_THEMES, params)
            total, columns = journey_map(session, shown, view, kind, top_themes.value or {})
        except InvalidInput as exc:
            first = exc.errors[0] if exc.errors else None
            raise BadFilter(first.field if first else "filter", first.message if first else str(exc)) from exc
    name = overview.METRICS[kind]["name"]
    return render(
        request,
        "journey.html",
        user=user,
        **filter_bar(session, view, f"Journey · {name}"),
        journeys=[(j.key, j.name) for j in every],
        journey=shown,
        metric=kind,
        metrics=overview.METRICS,
        total=total,
        columns=columns,
        figures=figures_table(columns, kind),
        min_n=metric_registry.min_n(kind),
        top_themes=top_themes,
        can_refresh=user.role.includes(Role.analyst),
        breaks=[t for c in columns for t in (c.stage, *c.touchpoints) if t.breaks_down],
    )
