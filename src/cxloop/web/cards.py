"""The one registry of dashboard card kinds: what each card shows, computed by the same analytics services as the
pages (and the API) with the card's own filters (web/filters.py parameters stored with the card).

    KINDS["trend"].build(session, Shown(view, MetricKind.nps, "card-7", Role.viewer, request))  # -> Body

The score, trend and breakdown cards read what the overview reads (web/overview.py `score_card` and `grouped`): live
from the rollups when they answer, else the stored analysis of the same computation (web/stored_analysis.py), shown
with its time, or `pending` while the worker computes it.

Every kind reads only what a viewer may read through the API (metrics, response rates, the SLA report, themes,
anomalies), so every signed-in user sees every card. A card whose stored filters no longer work (a deleted segment)
says why instead of failing the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.analytics import anomalies
from cxloop.analytics import metrics as metric_registry
from cxloop.analytics.enums import FatigueGroup, GroupKey, MetricKind
from cxloop.cases import service as cases
from cxloop.dashboards.enums import CardKindName
from cxloop.precomputed.service import Stored
from cxloop.text.themes.schemas import ThemeRead
from cxloop.web import overview, overview_tables
from cxloop.web.anomalies_page import anomalies_table
from cxloop.web.filters import BadFilter, View, parse_filters
from cxloop.web.tables import Column, Row, Table, count, text, with_interval
from cxloop.web.themes_page import ThemeRow, theme_examples, themes_table

TZ = "UTC"
TOP_THEMES = 10
ANOMALIES = 20
THEME_EXAMPLES = 1


@dataclass(frozen=True)
class Shown:
    """What a card is asked to show: its view (dates and filters), metric, table key, the reader's role and the
    request (for the stored analyses it may read)."""

    view: View
    metric: MetricKind
    key: str
    role: Role
    request: Request
    stored: Stored[list[ThemeRead]] | None = None  # the themes page's stored analysis, for the themes card


@dataclass(frozen=True)
class Body:
    """A card's content: a metric card, a trend chart, a table, or a sentence when there is nothing to show; the
    stored analysis it was read from (None when live), `pending` while that is being computed."""

    figures: overview.Card | None = None
    chart: dict[str, Any] | None = None
    table: Table | None = None
    empty: str = ""
    min_n: int = metric_registry.DEFAULT_MIN_N
    stored: Stored[Any] | None = None
    pending: bool = False


@dataclass(frozen=True)
class CardKind:
    """One kind of card: its key (stored with each card), label, whether it takes a metric, and how it is built."""

    key: CardKindName
    label: str
    uses_metric: bool
    build: Callable[[Session, Shown], Body]


def _metric(session: Session, shown: Shown) -> Body:
    card = overview.score_card(shown.request, session, shown.view, TZ, shown.metric)
    if isinstance(card, overview.PendingCard):
        return Body(stored=card.stored, pending=True)
    return Body(figures=card, min_n=metric_registry.min_n(shown.metric), stored=card.stored)


def _trend(session: Session, shown: Shown) -> Body:
    bucket = overview.trend_bucket(shown.view)
    found = overview.grouped(shown.request, session, shown.view, TZ, shown.metric, bucket)
    if found.result is None:
        return Body(stored=found.stored, pending=True)
    trend = overview.trend_of(found.result, bucket)
    if not trend["points"]:
        return Body(empty=f"No {trend['metric']} answers in this range.", stored=found.stored)
    table = overview_tables.trend_table(trend, shown.metric, key=shown.key)
    return Body(chart=trend, table=table, stored=found.stored)


def _breakdown(dim: GroupKey, caption: str) -> Callable[[Session, Shown], Body]:
    def build(session: Session, shown: Shown) -> Body:
        found = overview.grouped(shown.request, session, shown.view, TZ, shown.metric, dim)
        if found.result is None:
            return Body(stored=found.stored, pending=True)
        groups = overview.largest_first(found.result)
        minimum = metric_registry.min_n(shown.metric)
        name = overview.METRICS[shown.metric]["name"]
        table = overview_tables.breakdown_table(
            groups, shown.metric, dim.value, key=shown.key, caption=f"{name} {caption}", min_n=minimum
        )
        empty = "" if groups else "No answers to break down in this range."
        return Body(table=table, empty=empty, min_n=minimum, stored=found.stored)

    return build


def _rates(session: Session, shown: Shown) -> Body:
    rows = overview.response_rates(session, shown.view, TZ, FatigueGroup.channel)
    table = overview_tables.rates_table(
        rows, "channel", min_n=metric_registry.DEFAULT_MIN_N, compact=True, key=shown.key
    )
    return Body(table=table, empty="" if rows else "No invitations in this range.")


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _sla(session: Session, shown: Shown) -> Body:
    """The SLA report of GET /api/v1/cases/sla-report by team, for the cases created in the range."""
    view = shown.view
    report = cases.sla_report(
        session,
        by="team",
        since=_instant(view.start),
        until=_instant(view.end + timedelta(days=1)),
        as_of=datetime.now(UTC),
    )
    rows = []
    for r in report.rows:
        shares = (r.acknowledged_within_2h, r.acknowledged_within_6h, r.closed_within_48h)
        cells = [text(r.group), count(r.cases)]
        for share in shares:
            low, high = share.interval or (None, None)
            cells += [with_interval(share.percent, low, high, unit=" %"), count(share.n)]
        rows.append(Row(tuple(cells), small=r.cases < metric_registry.DEFAULT_MIN_N))
    columns = [Column("Team"), Column("Cases", numeric=True)]
    for label in ("Acknowledged within 2 h", "Acknowledged within 6 h", "Closed within 48 h"):
        columns += [Column.with_interval(f"{label} %"), Column(f"{label}, n", numeric=True)]
    table = Table(shown.key, "Cases and their SLAs by team", tuple(columns), tuple(rows))
    return Body(table=table, empty="" if rows else "No cases were opened in this range.")


def _themes(session: Session, shown: Shown) -> Body:
    """The themes page's stored analysis (web/stored_analysis.py), its 10 most frequent visible themes."""
    if shown.stored is None or shown.stored.value is None:
        return Body(empty="The themes' figures are being computed; they appear on the next visit.")
    visible = [t for t in shown.stored.value if not t.hidden]
    found = sorted(visible, key=lambda t: (-t.volume, t.id))[:TOP_THEMES]
    rows = [ThemeRow(t, theme_examples(session, theme_id=t.id, role=shown.role, limit=THEME_EXAMPLES)) for t in found]
    table = themes_table(rows, key=shown.key, caption=f"The {len(rows)} most frequent themes")
    return Body(table=table, empty="" if rows else "No themes yet: an analyst runs theme discovery.")


def _anomalies(session: Session, shown: Shown) -> Body:
    found = anomalies.list_anomalies(session, since=shown.view.start, limit=ANOMALIES)
    table = anomalies_table(found, key=shown.key)
    return Body(table=table, empty="" if found else "No anomaly in this range.")


# One builder per name the dashboards domain accepts (tests/dashboards/test_names.py checks none is missing).
KINDS: dict[str, CardKind] = {
    kind.key: kind
    for kind in (
        CardKind(CardKindName.metric, "Score with its interval and change", True, _metric),
        CardKind(CardKindName.trend, "Trend with its confidence band", True, _trend),
        CardKind(CardKindName.by_segment, "By segment", True, _breakdown(GroupKey.segment, "by segment")),
        CardKind(CardKindName.by_stage, "By journey stage", True, _breakdown(GroupKey.stage, "by journey stage")),
        CardKind(CardKindName.by_channel, "Volume by channel", True, _breakdown(GroupKey.channel, "by channel")),
        CardKind(CardKindName.response_rates, "Response rate by channel", False, _rates),
        CardKind(CardKindName.sla, "Cases and SLAs by team", False, _sla),
        CardKind(CardKindName.themes, "Top themes", False, _themes),
        CardKind(CardKindName.anomalies, "Anomalies", False, _anomalies),
    )
}


def check_filters(params: Mapping[str, str], *, today: date) -> tuple[View, MetricKind]:
    """The view and metric of a card's filters; BadFilter naming the first one that cannot be used."""
    metric = params.get("metric") or MetricKind.nps.value
    if metric not in MetricKind.__members__:
        raise BadFilter("metric", f"'{metric[:20]}' is not one of: nps, csat, ces")
    return parse_filters(params, today=today), MetricKind(metric)


def over_card(card_filters: Mapping[str, str], board: Mapping[str, str]) -> dict[str, str]:
    """A card's filters with the dashboard-wide filter over them: the board's dates replace the card's, each of its
    dimensions (segment, stage, touchpoint, channel, survey) the card's own; what the board leaves open stays the
    card's."""
    dates = ("range", "start", "end")
    kept = {k: v for k, v in card_filters.items() if not ("range" in board and k in dates)}
    return kept | dict(board)


def stored_filters(view: View, metric: MetricKind, kind: CardKind) -> dict[str, str]:
    """What is stored with a card: the view's parameters, and its metric when the kind takes one."""
    return view.params() | ({"metric": metric.value} if kind.uses_metric else {})
