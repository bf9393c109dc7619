"""The explorer's one list of survey responses and feedback items, newest first, read a page at a time.

Each kind is read by its own keyset query (`collection.list_responses` / `list_feedback` with `before`), `limit + 1`
rows at most, and the two are merged in time order: a page costs two index reads of a page's length, never a scan.
At the same instant responses come before items, then the higher id first; the cursor of the next page is the last
row shown ("r.<id>.<time>" or "i.<id>.<time>"), from which each kind knows where it stops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackRead, ResponseRead
from cxloop.core.clock import parse_instant
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from cxloop.text.themes import service as themes
from cxloop.web.filters import BadFilter

KINDS = ("responses", "items")  # the order of the two kinds at the same instant
TEXT_KIND = {"responses": ItemKind.response, "items": ItemKind.feedback}
_CODE = {"responses": "r", "items": "i"}
_NO_ID = 0  # ids start at 1: (time, 0) keeps nothing of that instant
_EVERY_ID = 2**63 - 1  # (time, every id) keeps everything of that instant


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: the next page starts after it."""

    kind: str
    id: int
    at: datetime

    def __str__(self) -> str:
        return f"{_CODE[self.kind]}.{self.id}.{self.at.isoformat()}"

    def bound(self, kind: str) -> tuple[datetime, int]:
        """Where `kind`'s rows go on from: after this row, in the order (time desc, kind, id desc)."""
        if kind == self.kind:
            return self.at, self.id
        return self.at, _NO_ID if KINDS.index(kind) < KINDS.index(self.kind) else _EVERY_ID


def parse_cursor(value: str) -> Cursor | None:
    """The `before` parameter; BadFilter when it is not a cursor this page wrote."""
    if not value:
        return None
    code, _, rest = value.partition(".")
    number, _, when = rest.partition(".")
    kinds = {c: k for k, c in _CODE.items()}
    try:
        if code not in kinds or not number.isdigit() or len(number) > 19:
            raise ValueError
        return Cursor(kinds[code], int(number), parse_instant(when))
    except ValueError:
        raise BadFilter("before", "is not a position in this list: start again from the newest") from None


@dataclass(frozen=True)
class Entry:
    """One row of the list: a survey response or a feedback item, its time and its sentiment and themes."""

    kind: str
    read: ResponseRead | FeedbackRead
    enrichment: Mapping[str, Any]

    @property
    def at(self) -> datetime:
        return self.read.submitted_at if isinstance(self.read, ResponseRead) else self.read.posted_at

    @property
    def order(self) -> tuple[float, int, int]:
        return (-self.at.timestamp(), KINDS.index(self.kind), -self.read.id)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.kind, self.read.id, self.at)


@dataclass(frozen=True)
class Count:
    kind: str
    total: int
    counted: int  # the count stopped past this many

    @property
    def words(self) -> str:
        one, many = ("response", "responses") if self.kind == "responses" else ("feedback item", "feedback items")
        if self.total > self.counted:
            return f"more than {self.counted:,} {many}"
        return f"{self.total:,} {one if self.total == 1 else many}"


@dataclass(frozen=True)
class Listing:
    """One page of the list, how many of each kind match (bounded), and where the next page starts. `searched` is
    (from, to) when a search read a stretch of the range, not all of it (`list_entries`' window; None: the start or
    the end of the range): the counts are of that stretch, and the next page of a search that found no more in it
    starts below it."""

    entries: Sequence[Entry]
    counts: Sequence[Count]
    next: Cursor | None
    searched: tuple[datetime | None, datetime | None] | None = None

    @property
    def summary(self) -> str:
        """'3 responses and 2 feedback items', 'more than 10,000 responses'."""
        text = " and ".join(count.words for count in self.counts)
        return text[:1].upper() + text[1:]

    @property
    def searched_older(self) -> bool:
        """Whether the next page searches the stretch below the one searched (not the next rows of this one)."""
        return self.searched is not None and self.next is not None and self.next.id == _NO_ID


def _page(
    session: Session,
    kind: str,
    query: Mapping[str, Any],
    *,
    limit: int,
    before: tuple[datetime, int] | None,
    up_to: int,
    windowed: bool,
) -> tuple[Sequence[ResponseRead | FeedbackRead], int]:
    read = collection.list_feedback if kind == "items" else collection.list_responses
    found = read(
        session,
        limit=limit,
        count_up_to=up_to,
        before=before,
        total_from_before=windowed,
        ids_by_time=windowed,  # the window bounds the rows read: a set (the masked search's) need not be sized
        **query,
    )
    return found.items, found.total


def _window_start(
    session: Session, queries: Mapping[str, Mapping[str, Any]], after: Cursor | None, rows: int
) -> datetime | None:
    """Where a search reading the newest `rows` rows of each kind (after `after`) stops: the later of the kinds'
    starts, so that no kind is read past it; None when every kind has fewer rows left."""
    starts = [
        collection.newest_rows_start(
            session,
            "feedback" if kind == "items" else "responses",
            since=query.get("since"),
            until=query.get("until"),
            before=after.bound(kind) if after else None,
            rows=rows,
        )
        for kind, query in queries.items()
    ]
    return max((start for start in starts if start is not None), default=None)


def list_entries(
    session: Session,
    queries: Mapping[str, Mapping[str, Any]],
    *,
    role: Role,
    limit: int,
    after: Cursor | None,
    count_up_to: int,
    window: int | None = None,
) -> Listing:
    """`limit` rows of the kinds in `queries` (kind -> `list_responses`/`list_feedback` filters) after `after`,
    newest first, texts masked for `role`, with their enrichment. With `window` (a search, which tests every row it
    reads) only the newest `window` rows of each kind after `after` are read, and the matches after `after` counted;
    when they hold no more matches the next page starts below them ("search older")."""
    start = _window_start(session, queries, after, window) if window else None
    if start is not None:
        queries = {kind: {**query, "since": max(query.get("since") or start, start)} for kind, query in queries.items()}
    found: list[tuple[str, ResponseRead | FeedbackRead]] = []
    counts = []
    for kind, query in queries.items():
        rows, total = _page(
            session,
            kind,
            query,
            limit=limit + 1,
            before=after.bound(kind) if after else None,
            up_to=count_up_to,
            windowed=window is not None,
        )
        found += [(kind, row) for row in rows]
        counts.append(Count(kind, total, count_up_to))
    entries = sorted((Entry(kind, read, {}) for kind, read in found), key=lambda e: e.order)
    shown, more = entries[:limit], len(entries) > limit
    text.mask_shown(
        session,
        role=role,
        responses=[e.read for e in shown if isinstance(e.read, ResponseRead)],
        feedback=[e.read for e in shown if isinstance(e.read, FeedbackRead)],
    )
    enrichment = {
        kind: text.export_fields(session, kind=TEXT_KIND[kind], ids=ids)
        for kind in queries
        if (ids := [e.read.id for e in shown if e.kind == kind])
    }
    shown = [Entry(e.kind, e.read, enrichment.get(e.kind, {}).get(e.read.id, {})) for e in shown]
    searched = (start, after.at if after else None) if window and (start or after) else None
    if start is None:
        return Listing(shown, counts, shown[-1].cursor if more else None, searched)
    # Below the window nothing was read: the next page goes on from its last row, or searches below it.
    below = Cursor(KINDS[-1], _NO_ID, start)  # (start, no id) of the last kind: every row older than `start`
    return Listing(shown, counts, shown[-1].cursor if more else below, searched)


def id_filter(kind: str, theme_id: int | None, sentiment: Any, masked_words: str | None = None) -> Select[Any] | None:
    """The ids of `kind` the theme and sentiment filters keep, and a search of the masked texts (`masked_words`: the
    words of a role that reads texts masked), as a select (None: no such filter)."""
    chosen = themes.item_ids(theme_id=theme_id, kind=TEXT_KIND[kind]) if theme_id else None
    if sentiment:
        chosen = text.item_ids_with_sentiment(kind=TEXT_KIND[kind], label=sentiment, within=chosen)
    if masked_words:
        chosen = text.item_ids_with_words(kind=TEXT_KIND[kind], words=masked_words, within=chosen)
    return chosen
