"""The feedback explorer (/feedback) and its CSV (/feedback.csv): survey responses, or feedback items (reviews,
helpdesk tickets, chats, API feedback) on the second tab, newest first, with their sentiment and themes.

Filters, all in the query string: the date range, channel, survey (responses) and segment of the filter bar;
`tab` (responses or items), `q` (words in the comment), `theme` (a theme's id), `sentiment` (negative, neutral,
positive: the enrichment's label), `band` (an NPS band: detractor, passive, promoter; responses only) and
`score_min`/`score_max` (NPS 0-10 on responses, the rating 1-5 on items). The CSV carries what the page shows.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Select
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.branding.current import load_brand
from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackRead, ResponseRead
from cxloop.core.clock import utcnow
from cxloop.core.csv_cells import CsvWriter, NumberCell, csv_cell
from cxloop.core.errors import NotFound
from cxloop.storage.deps import SessionDep
from cxloop.text import service as text
from cxloop.text.enums import ItemKind, SentimentLabel
from cxloop.text.themes import service as themes
from cxloop.web.auth import ViewerPage
from cxloop.web.filters import BadFilter, View
from cxloop.web.rendering import render
from cxloop.web.routes import filter_bar, view_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
PAGE_SIZE = 25
COUNT_UP_TO = 10_000  # matches counted past the page shown: beyond that the page says "more than", not the number
CSV_ROWS = 5000  # the CSV export: what the filters select, newest first, at most this many rows
CSV_BATCH = 500
TABS = {"responses": "Survey responses", "items": "Reviews, tickets and other feedback"}
BANDS = {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)}  # NPS answers of each band
SCORES = {"responses": (0, 10), "items": (1, 5)}  # what score_min/score_max read: NPS, or the 1-5 rating
KIND = {"responses": ItemKind.response, "items": ItemKind.feedback}


@dataclass(frozen=True)
class Explore:
    """The explorer's own filters (beyond the filter bar's)."""

    tab: str
    q: str
    theme: tuple[int, str] | None
    sentiment: str
    band: str
    score_min: int | None
    score_max: int | None

    def params(self, **changes: str | None) -> dict[str, str]:
        """The query parameters that keep these filters in a link (`changes` replaces some; None drops one)."""
        values = {
            "tab": self.tab if self.tab != "responses" else "",
            "q": self.q,
            "theme": str(self.theme[0]) if self.theme else "",
            "sentiment": self.sentiment,
            "band": self.band,
            "score_min": "" if self.score_min is None else str(self.score_min),
            "score_max": "" if self.score_max is None else str(self.score_max),
        }
        values |= {k: v or "" for k, v in changes.items()}
        return {k: v for k, v in values.items() if v}

    @property
    def score_range(self) -> tuple[int | None, int | None]:
        """The score range asked, the band and score_min/score_max together."""
        low, high = self.score_min, self.score_max
        if self.band:
            band_low, band_high = BANDS[self.band]
            low = band_low if low is None else max(low, band_low)
            high = band_high if high is None else min(high, band_high)
        return low, high

    @property
    def narrowed(self) -> bool:
        return bool(self.q or self.theme or self.sentiment or self.band or self.score_range != (None, None))


def _theme(session: Session, value: str) -> tuple[int, str] | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 12:
        raise BadFilter("theme", f"'{value[:20]}' is not a theme id")
    try:
        found = themes.require_theme(session, theme_id=int(value))
    except NotFound:
        raise BadFilter("theme", f"there is no theme {value}") from None
    return found.id, found.name


def _score(params: Any, name: str, tab: str) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    low, high = SCORES[tab]
    what = "an NPS answer" if tab == "responses" else "a rating"
    if not value.isdigit() or not low <= int(value[:3]) <= high:
        raise BadFilter(name, f"'{value[:20]}' is not {what} from {low} to {high}")
    return int(value)


def explore_of(session: Session, request: Request, view: View) -> Explore:
    """The explorer's filters from the query string; BadFilter names the first that cannot be used."""
    params = request.query_params
    tab = params.get("tab") or "responses"
    if tab not in TABS:
        raise BadFilter("tab", f"'{tab[:20]}' is not one of: {', '.join(TABS)}")
    sentiment = params.get("sentiment") or ""
    if sentiment and sentiment not in SentimentLabel.__members__:
        raise BadFilter("sentiment", f"'{sentiment[:20]}' is not one of: {', '.join(SentimentLabel)}")
    band = params.get("band") or ""
    if band and (band not in BANDS or tab != "responses"):
        reason = "NPS bands are for survey responses" if band in BANDS else f"not one of: {', '.join(BANDS)}"
        raise BadFilter("band", f"'{band[:20]}': {reason}")
    if tab == "items" and "survey" in view.dims:
        raise BadFilter("survey", "feedback items belong to no survey: clear it to see them")
    return Explore(
        tab=tab,
        q=(params.get("q") or "").strip()[:200],
        theme=_theme(session, (params.get("theme") or "").strip()),
        sentiment=sentiment,
        band=band,
        score_min=_score(params, "score_min", tab),
        score_max=_score(params, "score_max", tab),
    )


def _ids(explore: Explore) -> Select[int] | None:
    """The items the theme and sentiment filters keep, as a select of ids (None: no such filter)."""
    kind = KIND[explore.tab]
    chosen = themes.item_ids(theme_id=explore.theme[0], kind=kind) if explore.theme else None
    if explore.sentiment:
        chosen = text.item_ids_with_sentiment(kind=kind, label=SentimentLabel(explore.sentiment), within=chosen)
    return chosen


def _query(view: View, explore: Explore) -> dict[str, Any]:
    """The keyword arguments of `collection.list_responses` (or `list_feedback`) for these filters."""
    low, high = explore.score_range
    common = {
        "channel": view.dims.get("channel"),
        "segment": view.dims.get("segment"),
        "since": datetime.combine(view.start, time.min, UTC),
        "until": datetime.combine(view.end, time.max, UTC),
        "text": explore.q or None,
        "ids": _ids(explore),
    }
    if explore.tab == "items":
        return common | {"rating_min": low, "rating_max": high}
    return common | {"survey": view.dims.get("survey"), "nps_min": low, "nps_max": high}


@dataclass(frozen=True)
class Found:
    """One page of the explorer: responses or items (masked for the role), with their enrichment by id."""

    items: Sequence[ResponseRead | FeedbackRead]
    total: int  # at most `counted` + 1
    enrichment: dict[int, dict[str, Any]]
    counted: int  # the count stopped past this many matches

    @property
    def more(self) -> bool:
        """More matches than were counted: the page says "more than `counted`"."""
        return self.total > self.counted


def _find(session: Session, explore: Explore, query: dict[str, Any], role: Role, *, limit: int, offset: int) -> Found:
    # Counting every match of a text search reads every row of the range; a bounded count reads until it has enough.
    up_to = offset + COUNT_UP_TO
    if explore.tab == "items":
        items = collection.list_feedback(
            session, sort="-posted_at", limit=limit, offset=offset, count_up_to=up_to, **query
        )
        text.mask_shown(session, role=role, feedback=items.items)
        found: Sequence[ResponseRead | FeedbackRead] = items.items
        total = items.total
    else:
        responses = collection.list_responses(
            session, sort="-submitted_at", limit=limit, offset=offset, count_up_to=up_to, **query
        )
        text.mask_shown(session, role=role, responses=responses.items)
        found, total = responses.items, responses.total
    enrichment = text.export_fields(session, kind=KIND[explore.tab], ids=[i.id for i in found]) if found else {}
    return Found(found, total, enrichment, up_to)


@router.get("/feedback")
def feedback_page(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    view = view_of(request)
    explore = explore_of(session, request, view)
    found = _find(session, explore, _query(view, explore), user.role, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    bar = filter_bar(session, view, "Feedback")
    shown = [
        name
        for name in (
            explore.theme[1] if explore.theme else "",
            explore.sentiment,
            f"{explore.band}s" if explore.band else "",
        )
        if name
    ]
    if explore.tab == "items" or shown:
        extra = ([TABS["items"]] if explore.tab == "items" else []) + shown
        bar["title"] = bar["title"].replace("Feedback · ", f"Feedback · {' · '.join(extra)} · ", 1)
    return render(
        request,
        "feedback.html",
        user=user,
        **bar,
        explore=explore,
        tabs=TABS,
        bands=list(BANDS),
        sentiments=list(SentimentLabel),
        scores=SCORES[explore.tab],
        found=found,
        page=page,
        pages=max(1, math.ceil(found.total / PAGE_SIZE)),
        now=utcnow(),
    )


def _response_cells(item: ResponseRead, extra: dict[str, Any]) -> list[Any]:
    return [
        NumberCell(item.id),
        csv_cell(item.submitted_at),
        csv_cell(item.survey),
        csv_cell(item.channel),
        csv_cell(item.customer_external_id),
        csv_cell(item.nps),
        csv_cell(item.csat),
        csv_cell(item.ces),
        csv_cell(extra.get("sentiment_label")),
        csv_cell("; ".join(extra.get("themes") or [])),
        csv_cell(item.comment),
    ]


def _item_cells(item: FeedbackRead, extra: dict[str, Any]) -> list[Any]:
    return [
        NumberCell(item.id),
        csv_cell(item.posted_at),
        csv_cell(item.kind),
        csv_cell(item.source),
        csv_cell(item.channel),
        csv_cell(item.customer_external_id),
        csv_cell(item.rating),
        csv_cell(extra.get("sentiment_label")),
        csv_cell("; ".join(extra.get("themes") or [])),
        csv_cell(item.text),
    ]


CSV_HEADERS = {
    "responses": ["id", "submitted_at", "survey", "channel", "customer", "nps", "csat", "ces", "sentiment", "themes"]
    + ["comment"],
    "items": ["id", "posted_at", "kind", "source", "channel", "customer", "rating", "sentiment", "themes", "text"],
}


def _csv(session: Session, explore: Explore, query: dict[str, Any], role: Role) -> str:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(CSV_HEADERS[explore.tab])
    offset = 0
    while offset < CSV_ROWS:
        found = _find(session, explore, query, role, limit=CSV_BATCH, offset=offset)
        for item in found.items:
            extra = found.enrichment.get(item.id, {})
            if isinstance(item, FeedbackRead):
                writer.writerow(_item_cells(item, extra))
            else:
                writer.writerow(_response_cells(item, extra))
        offset += CSV_BATCH
        if offset >= found.total:
            break
    return buffer.getvalue()


@router.get("/feedback.csv")
def feedback_csv(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """What the explorer shows with the same filters, as CSV (newest first, at most CSV_ROWS rows)."""
    view = view_of(request)
    explore = explore_of(session, request, view)
    body = _csv(session, explore, _query(view, explore), user.role)  # read inside the handler's unit of work
    name = "cxloop-feedback.csv" if explore.tab == "responses" else "cxloop-feedback-items.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
