"""The feedback explorer (/feedback) and its CSV (/feedback.csv): survey responses and feedback items (reviews,
helpdesk tickets, chats, API feedback) in one list, newest first, each row saying what it is, with its sentiment
and themes (web/explorer_list.py reads and merges the two).

Filters, all in the query string: the date range, channel, survey and segment of the filter bar; `kind` (all,
responses or items), `q` (words in the comment or text), `theme` (a theme's id), `sentiment` (negative, neutral,
positive: the enrichment's label), `band` (an NPS band: detractor, passive, promoter) and `score_min`/`score_max`
(NPS 0-10; with kind=items the rating 1-5). The survey, a band and an NPS range are about survey responses only:
with them the list narrows to responses and says so. `before` is where the page starts (the "Older" link). The CSV
carries what the list shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.branding.current import load_brand
from cxloop.collection.schemas import FeedbackRead
from cxloop.core.clock import utcnow
from cxloop.core.csv_cells import NumberCell, csv_cell
from cxloop.core.errors import NotFound
from cxloop.storage.deps import SessionDep, get_database
from cxloop.text import service as text
from cxloop.text.enums import SentimentLabel
from cxloop.text.themes import service as themes
from cxloop.web import explorer_list
from cxloop.web.auth import ViewerPage
from cxloop.web.csv_export import csv_export
from cxloop.web.explorer_list import Cursor, Entry, Listing
from cxloop.web.filters import BadFilter, View
from cxloop.web.rendering import render, user_zone
from cxloop.web.routes import filter_bar, range_zone_of, view_of
from cxloop.web.service import SignedIn

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
PAGE_SIZE = 25
COUNT_UP_TO = 10_000  # matches counted of each kind: beyond that the page says "more than", not the number
SEARCH_ROWS = 200_000  # a search reads the newest this many rows of each kind a page, then offers to search older
SHOWS = {"all": "Everything", "responses": "Survey responses", "items": "Reviews, tickets and other feedback"}
BANDS = {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)}  # NPS answers of each band
SCORES = {"responses": (0, 10), "items": (1, 5)}  # what score_min/score_max read: NPS, or the 1-5 rating


@dataclass(frozen=True)
class Explore:
    """The explorer's own filters (beyond the filter bar's), and the kinds of feedback they let through."""

    kind: str  # as asked: all, responses or items
    kinds: tuple[str, ...]  # the kinds listed
    q: str
    theme: tuple[int, str] | None
    sentiment: str
    band: str
    score_min: int | None
    score_max: int | None
    narrowed_by: str  # why an "all" list shows survey responses only ("" when it does not)

    def params(self, **changes: str | None) -> dict[str, str]:
        """The query parameters that keep these filters in a link (`changes` replaces some; None drops one)."""
        values = {
            "kind": self.kind if self.kind != "all" else "",
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
    def scores(self) -> tuple[int, int]:
        """The bounds score_min/score_max read: the rating on items only, else NPS."""
        return SCORES["items" if self.kind == "items" else "responses"]

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
    def shown(self) -> str:
        """'responses' or 'items' when one kind is listed, else 'all'."""
        return self.kinds[0] if len(self.kinds) == 1 else "all"


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


def _score(params: Any, name: str, kind: str) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    low, high = SCORES[kind]
    what = "an NPS answer" if kind == "responses" else "a rating"
    if not value.isdigit() or not low <= int(value[:3]) <= high:
        raise BadFilter(name, f"'{value[:20]}' is not {what} from {low} to {high}")
    return int(value)


def _narrowed_by(view: View, band: str, scores: tuple[int | None, int | None]) -> str:
    """What in an "all" list is about survey responses only, in words ("" when nothing is)."""
    reasons = [
        *(["a survey"] if "survey" in view.dims else []),
        *(["an NPS band"] if band else []),
        *(["an NPS range"] if scores != (None, None) else []),
    ]
    return " and ".join(reasons)


def explore_of(session: Session, request: Request, view: View) -> Explore:
    """The explorer's filters from the query string; BadFilter names the first that cannot be used."""
    params = request.query_params
    kind = params.get("kind") or "all"
    if kind not in SHOWS:
        raise BadFilter("kind", f"'{kind[:20]}' is not one of: {', '.join(SHOWS)}")
    sentiment = params.get("sentiment") or ""
    if sentiment and sentiment not in SentimentLabel.__members__:
        raise BadFilter("sentiment", f"'{sentiment[:20]}' is not one of: {', '.join(SentimentLabel)}")
    band = params.get("band") or ""
    if band and (band not in BANDS or kind == "items"):
        reason = "NPS bands are for survey responses" if band in BANDS else f"not one of: {', '.join(BANDS)}"
        raise BadFilter("band", f"'{band[:20]}': {reason}")
    if kind == "items" and "survey" in view.dims:
        raise BadFilter("survey", "feedback items belong to no survey: clear it to see them")
    scored = "items" if kind == "items" else "responses"
    scores = (_score(params, "score_min", scored), _score(params, "score_max", scored))
    narrowed_by = _narrowed_by(view, band, scores) if kind == "all" else ""
    return Explore(
        kind=kind,
        kinds=("responses",) if narrowed_by else explorer_list.KINDS if kind == "all" else (kind,),
        q=(params.get("q") or "").strip()[:200],
        theme=_theme(session, (params.get("theme") or "").strip()),
        sentiment=sentiment,
        band=band,
        score_min=scores[0],
        score_max=scores[1],
        narrowed_by=narrowed_by,
    )


def _queries(view: View, explore: Explore, zone: str, role: Role) -> dict[str, dict[str, Any]]:
    """The keyword arguments of `collection.list_responses` and `list_feedback` for these filters, by kind listed;
    the range's days are in `zone`. A role that reads texts masked searches the masked texts (and never an item's
    author), so a match cannot tell what the masking hid."""
    low, high = explore.score_range
    tz = ZoneInfo(zone)
    sentiment = SentimentLabel(explore.sentiment) if explore.sentiment else None
    masked = explore.q if explore.q and not text.reads_as_written(role) else None
    common = {
        "channel": view.dims.get("channel"),
        "segment": view.dims.get("segment"),
        "since": datetime.combine(view.start, time.min, tz),
        "until": datetime.combine(view.end + timedelta(days=1), time.min, tz),
        # A masked search first tests the text as written when that finds a superset (cheap: the row holds it).
        "text": explore.q if explore.q and (not masked or text.masked_search_narrowed_as_written(masked)) else None,
    }
    theme_id = explore.theme[0] if explore.theme else None
    ids = {kind: explorer_list.id_filter(kind, theme_id, sentiment, masked) for kind in explore.kinds}
    items = common | {"ids": ids.get("items"), "author_lacks": masked}
    if explore.kind == "items":
        return {"items": items | {"rating_min": low, "rating_max": high}}
    responses = common | {"ids": ids["responses"], "survey": view.dims.get("survey"), "nps_min": low, "nps_max": high}
    return {kind: responses if kind == "responses" else items for kind in explore.kinds}


def _listing(request: Request, session: Session, user: SignedIn, *, limit: int, after: Cursor | None) -> Any:
    zone = range_zone_of(request, user)
    view = view_of(request, zone)
    explore = explore_of(session, request, view)
    queries = _queries(view, explore, zone, user.role)
    window = SEARCH_ROWS if explore.q else None  # words are tested on every row read: a miss would read them all
    found = explorer_list.list_entries(
        session, queries, role=user.role, limit=limit, after=after, count_up_to=COUNT_UP_TO, window=window
    )
    return view, explore, found


def _cursor(request: Request) -> Cursor | None:
    return explorer_list.parse_cursor((request.query_params.get("before") or "")[:80])


@router.get("/feedback")
def feedback_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    after = _cursor(request)
    view, explore, found = _listing(request, session, user, limit=PAGE_SIZE, after=after)
    bar = filter_bar(session, view, "Feedback")
    shown = [
        name
        for name in (
            SHOWS[explore.shown] if explore.shown != "all" else "",
            explore.theme[1] if explore.theme else "",
            explore.sentiment,
            f"{explore.band}s" if explore.band else "",
        )
        if name
    ]
    if shown:
        bar["title"] = bar["title"].replace("Feedback · ", f"Feedback · {' · '.join(shown)} · ", 1)
    return render(
        request,
        "feedback.html",
        user=user,
        **bar,
        explore=explore,
        shows=SHOWS,
        bands=list(BANDS),
        sentiments=list(SentimentLabel),
        found=found,
        after=after,
        search_rows=SEARCH_ROWS,
        now=utcnow(),
    )


CSV_HEADERS = ["type", "id", "time", "survey", "kind", "source", "channel", "customer", "nps", "csat", "ces"] + [
    "rating",
    "sentiment",
    "themes",
    "text",
]


def _csv_row(entry: Entry, zone: ZoneInfo) -> list[Any]:
    read, extra = entry.read, entry.enrichment
    item = read if isinstance(read, FeedbackRead) else None
    response = None if item else read
    return [
        csv_cell("feedback item" if item else "response"),
        NumberCell(read.id),
        csv_cell(entry.at.astimezone(zone).isoformat()),
        csv_cell(getattr(response, "survey", None)),
        csv_cell(item.kind if item else None),
        csv_cell(item.source if item else None),
        csv_cell(read.channel),
        csv_cell(read.customer_external_id),
        *(csv_cell(getattr(response, name, None)) for name in ("nps", "csat", "ces")),
        csv_cell(item.rating if item else None),
        csv_cell(extra.get("sentiment_label")),
        csv_cell("; ".join(extra.get("themes") or [])),
        csv_cell(item.text if item else getattr(response, "comment", None)),
    ]


@router.get("/feedback.csv")
def feedback_csv(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """What the explorer lists with the same filters, as CSV (newest first, at most EXPORT_ROWS rows, streamed); times
    in ISO 8601 in the reader's zone."""
    zone = ZoneInfo(user_zone(request, user))

    def read(batch_session: Session, after: Cursor | None, limit: int) -> tuple[list[list[Any]], Cursor | None]:
        found: Listing = _listing(request, batch_session, user, limit=limit, after=after)[2]
        return [_csv_row(entry, zone) for entry in found.entries], found.next

    return csv_export("feedback", session, get_database(request), CSV_HEADERS, read, start=_cursor(request))
