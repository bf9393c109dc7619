"""The read side of themes: the figures of each theme (volume, NPS histograms, weekly counts, examples). The comment
texts themes are found in come from the one reader of comments, cxloop.text.queries.

Every figure joins the item, so an assignment whose response or feedback item was deleted (an erased customer)
counts nowhere."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from cxloop.collection.models import FeedbackItem, Response
from cxloop.collection.schemas import NO_FILTERS, ResolvedFilters
from cxloop.customers.models import Customer, SegmentMember
from cxloop.text.enums import SentimentLabel
from cxloop.text.models import TextAnalysis
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.models import Theme, ThemeAssignment


def _joined(kind: ItemKind) -> tuple[Any, Any]:
    """The item table of `kind` joined to assignments, and the instant the item was given."""
    if kind == ItemKind.response:
        on = and_(ThemeAssignment.item_kind == ItemKind.response.value, ThemeAssignment.item_id == Response.id)
        return select(ThemeAssignment.theme_id).join(Response, on), Response.submitted_at
    on = and_(ThemeAssignment.item_kind == ItemKind.feedback.value, ThemeAssignment.item_id == FeedbackItem.id)
    return select(ThemeAssignment.theme_id).join(FeedbackItem, on), FeedbackItem.posted_at


def volumes(session: Session) -> dict[int, tuple[int, int]]:
    """Theme id -> (items with the theme, items with it as their primary theme)."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for kind in ItemKind:
        base, _ = _joined(kind)
        primary = func.sum(case((ThemeAssignment.is_primary.is_(True), 1), else_=0))
        query = base.add_columns(func.count(), primary).group_by(ThemeAssignment.theme_id)
        for theme_id, count, primary in session.execute(query):
            totals[theme_id][0] += int(count)
            totals[theme_id][1] += int(primary or 0)
    return {k: (v[0], v[1]) for k, v in totals.items()}


def nps_histograms(session: Session) -> tuple[dict[int, dict[int, int]], dict[int, int]]:
    """NPS histograms of commented complete responses: per theme (responses with it), and of all of them."""
    per_theme: dict[int, dict[int, int]] = defaultdict(dict)
    base, _ = _joined(ItemKind.response)
    query = (
        base.add_columns(Response.nps, func.count())
        .where(Response.nps.is_not(None), Response.is_partial.is_(False))
        .group_by(ThemeAssignment.theme_id, Response.nps)
    )
    for theme_id, score, count in session.execute(query):
        per_theme[theme_id][int(score)] = int(count)
    overall_query = (
        select(Response.nps, func.count())
        .where(Response.nps.is_not(None), Response.is_partial.is_(False))
        .where(Response.comment.is_not(None), Response.comment != "")
        .group_by(Response.nps)
    )
    overall = {int(score): int(count) for score, count in session.execute(overall_query) if score is not None}
    return dict(per_theme), overall


def instants_since(
    session: Session, *, since: datetime, theme_ids: Sequence[int] | None = None
) -> Iterator[tuple[int, datetime]]:
    """(theme id, when the item was given) of every assignment of an item given since `since`."""
    for kind in ItemKind:
        base, at = _joined(kind)
        query = base.add_columns(at).where(at >= since)
        if theme_ids is not None:
            query = query.where(ThemeAssignment.theme_id.in_(list(theme_ids)))
        for theme_id, instant in session.execute(query.execution_options(yield_per=5_000)):
            yield int(theme_id), instant


def examples(session: Session, *, theme_id: int, limit: int) -> list[tuple[ItemKind, int, str, float, datetime]]:
    """The items most typical of a theme (highest score first, then newest): kind, id, text, score, when given."""
    found: list[tuple[ItemKind, int, str, float, datetime]] = []
    for kind, text, at, model in (
        (ItemKind.response, Response.comment, Response.submitted_at, Response),
        (ItemKind.feedback, FeedbackItem.text, FeedbackItem.posted_at, FeedbackItem),
    ):
        on = and_(ThemeAssignment.item_kind == kind.value, ThemeAssignment.item_id == model.id)
        query = (
            select(model.id, text, ThemeAssignment.score, at)
            .join(model, on)
            .where(ThemeAssignment.theme_id == theme_id)
            # The assignment's own columns (item_id is the item's id): the index gives this order, so the query
            # stops after `limit` items instead of joining and sorting every assignment of the theme.
            .order_by(ThemeAssignment.score.desc(), ThemeAssignment.item_id.desc())
            .limit(limit)
        )
        found.extend((kind, int(i), str(t or ""), float(s), a) for i, t, s, a in session.execute(query))
    found.sort(key=lambda e: (-e[3], -e[4].timestamp()))
    return found[:limit]


def daily_mentions(session: Session, *, since: datetime, until: datetime) -> dict[int, dict[date, list[int]]]:
    """Per visible theme, per UTC day of the item: [mentions, mentions whose text the enrichment read as negative],
    for items given in [since, until) (the anomaly scan's theme series)."""
    found: dict[int, dict[date, list[int]]] = defaultdict(dict)
    for kind in ItemKind:
        base, at = _joined(kind)
        negative = (
            select(TextAnalysis.id)
            .where(
                TextAnalysis.item_kind == kind.value,
                TextAnalysis.item_id == ThemeAssignment.item_id,
                TextAnalysis.sentiment_label == SentimentLabel.negative.value,
            )
            .exists()
        )
        query = (
            base.add_columns(at, negative)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(at >= since, at < until, Theme.hidden.is_(False), Theme.retired_at.is_(None))
        )
        for theme_id, instant, is_negative in session.execute(query.execution_options(yield_per=5_000)):
            day = instant.astimezone(UTC).date()
            cell = found[int(theme_id)].setdefault(day, [0, 0])
            cell[0] += 1
            cell[1] += 1 if is_negative else 0
    return dict(found)


def _within(within: ResolvedFilters) -> list[ColumnElement[bool]]:
    """The conditions on Response of the page's filters."""
    found: list[ColumnElement[bool]] = [
        column == value
        for column, value in (
            (Response.stage_id, within.stage_id),
            (Response.touchpoint_id, within.touchpoint_id),
            (Response.survey_id, within.survey_id),
            (Response.channel, within.channel),
        )
        if value is not None
    ]
    if within.segment_id is not None:
        members = select(SegmentMember.customer_id).where(SegmentMember.segment_id == within.segment_id)
        found.append(Response.customer_id.in_(members))
    if within.account_id is not None:
        contacts = select(Customer.id).where(Customer.account_id == within.account_id)
        found.append(Response.customer_id.in_(contacts))
    return found


def touchpoint_mentions(
    session: Session, *, since: datetime, until: datetime, within: ResolvedFilters = NO_FILTERS
) -> list[tuple[int, int, str, int]]:
    """(touchpoint id, theme id, theme name, responses) for the visible themes of the responses given at a touchpoint
    in [since, until) and `within` the filters (the journey map's top themes)."""
    mentions = func.count(Response.id)
    query = (
        select(Response.touchpoint_id, Theme.id, Theme.name, mentions)
        .select_from(ThemeAssignment)
        .join(
            Response, and_(ThemeAssignment.item_kind == ItemKind.response.value, ThemeAssignment.item_id == Response.id)
        )
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(
            Response.touchpoint_id.is_not(None),
            Response.submitted_at >= since,
            Response.submitted_at < until,
            Theme.hidden.is_(False),
            Theme.retired_at.is_(None),
            Theme.merged_into_id.is_(None),
            *_within(within),
        )
        .group_by(Response.touchpoint_id, Theme.id, Theme.name)
    )
    return [(int(t or 0), int(i), str(n), int(c)) for t, i, n, c in session.execute(query)]
