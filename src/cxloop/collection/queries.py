"""Read-side SQL for collection: batch lookups for the write path, list pages, and streamed exports.

Lookups take a whole batch of keys in one query, run on the session's connection (SQLAlchemy Core: the ORM layer
costs more than these indexed lookups themselves). Reads may join lower domains' tables (customers, journeys,
surveys) as STYLE.md allows for queries modules; writes go through their services.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeAlias

import orjson
from sqlalchemy import ColumnElement, Select, bindparam, cast, func, literal_column, or_, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from cxloop.collection.models import FeedbackItem, Response
from cxloop.core.int_bounds import MAX_LIMIT
from cxloop.customers.models import Customer, Segment, SegmentMember
from cxloop.journeys.models import Journey, Touchpoint
from cxloop.storage.pagination import Page, order_clause
from cxloop.storage.text_search import holds_words
from cxloop.surveys.models import Survey, SurveyVersion

CHUNK = 1000
Rows: TypeAlias = Select[*tuple[Any, ...]]
Ids: TypeAlias = Collection[int] | Select[int]  # item ids, or a select of them
RESPONSE_SORTS: dict[str, ColumnElement[Any]] = {
    name: Response.__table__.c[name] for name in ("id", "submitted_at", "received_at", "nps", "csat", "ces")
}
FEEDBACK_SORTS: dict[str, ColumnElement[Any]] = {
    name: FeedbackItem.__table__.c[name] for name in ("id", "posted_at", "received_at", "rating")
}


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class _Lookup:
    """A SELECT by one column, prebuilt for one value and for many (a single parameter: a JSON array). Built once,
    so SQLAlchemy computes each statement's cache key once: building the
    statement per call cost five times what running it does, and an expanded IN of thousands of placeholders more.
    """

    def __init__(self, build: Callable[[ColumnElement[bool]], Rows], column: ColumnElement[str]) -> None:
        self.one = build(column == bindparam("value"))
        # A JSON array on PostgreSQL too: psycopg adapts a list parameter element by element in Python.
        elements: Rows = select(func.jsonb_array_elements_text(cast(bindparam("values"), JSONB)))
        self.postgresql = build(column.in_(elements.scalar_subquery()))  # a semi-join: hashed, or index probes
        listed: Rows = select(literal_column("value")).select_from(func.json_each(bindparam("values")))
        self.sqlite = build(column.in_(listed.scalar_subquery()))

    def rows(self, session: Session, values: list[str]) -> Any:
        connection = session.connection()
        if len(values) == 1:
            return connection.execute(self.one, {"value": values[0]})
        if connection.dialect.name == "postgresql":
            return connection.execute(self.postgresql, {"values": orjson.dumps(values).decode()})
        return connection.execute(self.sqlite, {"values": orjson.dumps(values).decode()})


_CUSTOMERS = _Lookup(
    lambda where: select(Customer.external_id, Customer.id, Customer.stage_id).where(where),
    Customer.__table__.c.external_id,
)
_TOUCHPOINTS = _Lookup(
    lambda where: (
        select(Touchpoint.key, Touchpoint.id, Touchpoint.stage_id)
        .join(Journey, Journey.id == Touchpoint.journey_id)
        .where(where)
        .order_by(Journey.is_default.desc(), Journey.id, Touchpoint.id)
    ),
    Touchpoint.__table__.c.key,
)
_RESPONSE_KEYS = _Lookup(
    lambda where: select(Response.idempotency_key, Response.id).where(where),
    Response.__table__.c.idempotency_key,
)


def customers_by_external_id(session: Session, external_ids: Iterable[str]) -> dict[str, tuple[int, int | None]]:
    """external id -> (customer id, current stage id) for the known customers, in one query."""
    wanted = list(set(external_ids))
    if not wanted:
        return {}
    return {external_id: (cid, stage_id) for external_id, cid, stage_id in _CUSTOMERS.rows(session, wanted)}


def touchpoints_by_key(session: Session, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
    """touchpoint key -> (touchpoint id, stage id) for the keys asked; the default journey wins a shared key
    (as journeys.service.touchpoint_index, but only the rows a batch names)."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    found: dict[str, tuple[int, int]] = {}
    for key, touchpoint_id, stage_id in _TOUCHPOINTS.rows(session, wanted):
        found.setdefault(key, (touchpoint_id, stage_id))
    return found


def customers_by_email(session: Session, emails: Iterable[str]) -> dict[str, tuple[int, int | None]]:
    """lower-cased email -> (customer id, stage id); the oldest customer wins when two share an address."""
    found: dict[str, tuple[int, int | None]] = {}
    for chunk in _chunks(emails):
        rows = session.execute(
            select(Customer.email, Customer.id, Customer.stage_id)
            .where(Customer.email.in_(chunk))
            .order_by(Customer.id.desc())
        )
        found.update({str(email): (cid, stage_id) for email, cid, stage_id in rows})
    return found


def response_ids_by_key(session: Session, keys: Iterable[Hashable]) -> dict[Hashable, int]:
    """idempotency key -> id of the stored response, in one query."""
    wanted = [str(k) for k in set(keys)]
    if not wanted:
        return {}
    return dict(_RESPONSE_KEYS.rows(session, wanted).all())


def feedback_ids_by_key(session: Session, keys: Iterable[Hashable]) -> dict[Hashable, int]:
    """(source, external id) -> id of the stored feedback item."""
    found: dict[Hashable, int] = {}
    for chunk in _chunks(keys):
        rows = session.execute(
            select(FeedbackItem.source, FeedbackItem.external_id, FeedbackItem.id).where(
                tuple_(FeedbackItem.source, FeedbackItem.external_id).in_(chunk)
            )
        )
        found.update({(source, external_id): fid for source, external_id, fid in rows})
    return found


# ---- list pages ------------------------------------------------------------------------------------------------


def _response_rows() -> Rows:
    return (
        select(Response, Survey.key, SurveyVersion.version, Customer.external_id, Touchpoint.key)
        .join(Survey, Survey.id == Response.survey_id)
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .outerjoin(Customer, Customer.id == Response.customer_id)
        .outerjoin(Touchpoint, Touchpoint.id == Response.touchpoint_id)
    )


class ByTime(NamedTuple):
    """Which of the explorer's set filters SQLite should test row by row while it reads the newest rows first."""

    segment: bool = False
    ids: bool = False


NONE_BY_TIME = ByTime()
LARGE_SHARE = 50  # a set holding at least 1/50 of its table's rows is tested while reading by time on SQLite


def _response_filters(
    query: Rows,
    *,
    survey: str | None,
    channel: str | None,
    customer: str | None,
    since: datetime | None,
    until: datetime | None,
    text: str | None = None,
    ids: Ids | None = None,
    segment: str | None = None,
    nps_min: int | None = None,
    nps_max: int | None = None,
    by_time: ByTime = NONE_BY_TIME,
) -> Rows:
    scores = (nps_min, nps_max)
    query = _narrowed(query, Response, Response.comment, Response.nps, ids, text, segment, scores, by_time)
    if survey is not None:
        query = query.where(Response.survey_id == select(Survey.id).where(Survey.key == survey).scalar_subquery())
    if channel is not None:
        query = query.where(Response.channel == channel)
    if customer is not None:
        query = query.where(
            Response.customer_id == select(Customer.id).where(Customer.external_id == customer).scalar_subquery()
        )
    if since is not None:
        query = query.where(Response.submitted_at >= since)
    if until is not None:
        query = query.where(Response.submitted_at < until)
    return query


def _narrowed(
    query: Rows,
    table: type[Response] | type[FeedbackItem],
    said: Any,
    score: Any,
    ids: Ids | None,
    text: str | None,
    segment: str | None,
    scores: tuple[int | None, int | None],
    by_time: ByTime = NONE_BY_TIME,
) -> Rows:
    """The explorer's filters, shared by responses and feedback items: these ids (or a select of them), words in the
    text `said` (any case), the members of a segment (its key), `score` within `scores` (either end may be open).
    `by_time` (see `_by_time`) keeps SQLite from driving the read from a large segment's members or id set."""
    if ids is not None and by_time.ids and isinstance(ids, Select) and table.__table__ not in ids.get_final_froms():
        # Probed per row read (the set's own index on item id), not built whole first: a sentiment's set is a
        # third of the analyses, and building it cost more than the rows read for a page or a bounded count.
        # As a scalar subquery (LIMIT 1), not EXISTS: PostgreSQL turns EXISTS into a join that reads the whole set.
        query = query.where(ids.where(ids.selected_columns[0] == table.id).limit(1).scalar_subquery().is_not(None))
    elif ids is not None:
        item = table.id + 0 if by_time.ids else table.id  # + 0: not through its index
        query = query.where(item.in_(ids if isinstance(ids, Select) else list(ids)))
    if text:
        query = query.where(holds_words(said, text))
    if segment is not None:
        customer = table.customer_id + 0 if by_time.segment else table.customer_id
        query = query.where(customer.in_(_members(segment)))
    low, high = scores
    if low is not None:
        query = query.where(score >= low)
    if high is not None:
        query = query.where(score <= high)
    return query


def _page(
    session: Session,
    rows: Rows,
    count: Rows,
    *,
    limit: int,
    offset: int,
    count_up_to: int | None = None,
    rows_are_all: bool = True,
) -> Page[Any]:
    items = session.execute(rows.limit(limit).offset(offset)).all()
    if rows_are_all and offset == 0 and len(items) < limit:
        # The page holds every match (`rows_are_all`: the count and the rows read the same set): counting them
        # again would read the range a second time, all of it for a search that matches nothing.
        return Page(items=items, total=len(items), limit=limit, offset=offset)
    # A bounded count stops reading once it has seen more than `count_up_to` matches: a filter that must read every
    # row (words in the text) then costs a page's worth of reading when it matches often.
    counted = count if count_up_to is None else count.limit(count_up_to + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    return Page(items=items, total=total, limit=limit, offset=offset)


def newest_rows_start(
    session: Session,
    what: str,
    *,
    since: datetime | None,
    until: datetime | None,
    before: tuple[datetime, int] | None,
    rows: int,
) -> datetime | None:
    """The time of the row `rows` places below the newest of the responses / feedback items in [since, until) up to
    `before` (time, id): where a read of the newest `rows` rows stops; None when fewer remain. Reads the time index
    alone (the explorer's search window), by time only: ordering ties by id too made PostgreSQL read every row
    (0.37 s against 0.06 s for 200,000), and rows of `before`'s own instant counted in are only a few."""
    at = {"responses": Response.submitted_at, "feedback": FeedbackItem.posted_at}[what]
    query = select(at).order_by(at.desc()).offset(rows).limit(1)
    if since is not None:
        query = query.where(at >= since)
    if until is not None:
        query = query.where(at < until)
    if before is not None:
        query = query.where(at <= before[0])
    return session.scalar(query)


def _by_time(
    session: Session, table: type[Response] | type[FeedbackItem], segment: str | None, ids: Any, ids_by_time: bool
) -> ByTime:
    """Whether SQLite should read the newest rows first and test a set filter on each, instead of reading every row
    of the set through its index and sorting them all (a segment's members, or a select of ids: a sentiment's, a
    theme's). For a large set the first finds a page in a few milliseconds (a segment of 31 % of 100,000 customers
    over 1M responses: 4 ms against 0.45-0.68 s; the negative third of the analysed comments: 21 ms against 0.26 s),
    but for a small one it may walk the whole range for few matches (0.1-0.25 s for a set under 0.1 %), where the
    set's index is the better way. Each set is sized with a count bounded by 1/50 of its table's highest id (a
    cheap stand-in for its row count). PostgreSQL's planner chooses well on its own (under 1 ms both ways).
    `ids_by_time` tests the ids that way unsized, on both databases: the caller bounds the rows read (the explorer's
    search window), and sizing a search's set (words in the masked texts) would read every text when it matches
    nothing; PostgreSQL, left to itself, read the whole set into a hash first (0.3 s of a viewer's search at 1M)."""
    if session.get_bind().dialect.name != "sqlite":
        return ByTime(ids=ids_by_time and isinstance(ids, Select))
    large_segment = False
    if segment is not None:
        large_segment = _holds_a_share(session, _members(segment), Customer.id)
    large_ids = isinstance(ids, Select) and (ids_by_time or _holds_a_share(session, ids, table.id))
    return ByTime(segment=large_segment, ids=large_ids)


def _members(segment: str) -> Select[Any]:
    """The customer ids of the segment with this key."""
    return (
        select(SegmentMember.customer_id)
        .join(Segment, Segment.id == SegmentMember.segment_id)
        .where(Segment.key == segment)
    )


def _holds_a_share(session: Session, chosen: Select[Any], key: Any) -> bool:
    bound = (session.scalar(select(func.max(key))) or 0) // LARGE_SHARE
    if bound < 1:
        return False
    found = session.scalar(select(func.count()).select_from(chosen.limit(bound).subquery())) or 0
    return found >= bound


def response_page(
    session: Session,
    *,
    survey: str | None = None,
    channel: str | None = None,
    customer: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    ids: Ids | None = None,
    segment: str | None = None,
    nps_min: int | None = None,
    nps_max: int | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    count_up_to: int | None = None,
    before: tuple[datetime, int] | None = None,
    total_from_before: bool = False,
    ids_by_time: bool = False,
) -> Page[Any]:
    """Rows of (Response, survey key, version, customer external id, touchpoint key) for one page; `text` matches
    comments containing it (any case); `ids` keeps only those responses (ids, or a select of them: a theme's, a
    sentiment's, as text lists them); `segment` those of the segment's members; `nps_min`/`nps_max` an NPS range.
    With `count_up_to` the total stops at count_up_to + 1 ("more than count_up_to"); `before` (time, id) keeps the
    rows after that one in the newest-first order (the total still counts every match, unless `total_from_before`:
    then only those after it); `ids_by_time` as `_by_time`'s."""
    filters: dict[str, Any] = {
        "survey": survey,
        "channel": channel,
        "customer": customer,
        "since": since,
        "until": until,
        "text": text,
        "ids": ids,
        "segment": segment,
        "nps_min": nps_min,
        "nps_max": nps_max,
        "by_time": _by_time(session, Response, segment, ids, ids_by_time),
    }
    limit = max(1, min(limit, MAX_LIMIT))
    all_counted = before is None or total_from_before
    order = [*order_clause(sort, RESPONSE_SORTS, "-submitted_at"), Response.id.desc()]
    rows = _response_filters(_response_rows(), **filters).order_by(*order)
    count = _response_filters(select(Response.id), **filters)
    rows, count = _keyset(
        rows, count, Response.submitted_at, Response.id, before=before, total_from_before=total_from_before
    )
    return _page(session, rows, count, limit=limit, offset=offset, count_up_to=count_up_to, rows_are_all=all_counted)


def _keyset(rows: Rows, count: Rows, when: Any, id_: Any, *, before: Any, total_from_before: bool) -> tuple[Rows, Rows]:
    """Keyset paging: only rows older than `before` (time, id), in the default newest-first order; counted newest
    first as the rows are read when `total_from_before`, so a bounded count stops in the same stretch."""
    if before is not None:
        older = tuple_(when, id_) < tuple_(*before)
        rows, count = rows.where(older), count.where(older) if total_from_before else count
    if total_from_before:
        count = count.order_by(when.desc())
    return rows, count


def detractor_rows(session: Session, *, since: datetime, until: datetime, limit: int) -> list[Any]:
    """The `limit` lowest NPS answers (0-6) submitted in [since, until), those with a comment first, newest first
    within a score: rows as `response_page` gives them."""
    query = (
        _response_rows()
        .where(Response.nps <= 6, Response.submitted_at >= since, Response.submitted_at < until)
        .order_by(Response.comment.is_(None), Response.nps, Response.submitted_at.desc(), Response.id.desc())
        .limit(limit)
    )
    return list(session.execute(query).all())


def response_row(session: Session, response_id: int) -> Any:
    """One (Response, survey key, version, customer external id, touchpoint key) row, or None."""
    return session.execute(_response_rows().where(Response.id == response_id)).first()


def _feedback_rows() -> Rows:
    return (
        select(FeedbackItem, Customer.external_id, Touchpoint.key)
        .outerjoin(Customer, Customer.id == FeedbackItem.customer_id)
        .outerjoin(Touchpoint, Touchpoint.id == FeedbackItem.touchpoint_id)
    )


def _feedback_filters(
    query: Rows,
    *,
    source: str | None,
    kind: str | None,
    channel: str | None,
    customer: str | None,
    since: datetime | None,
    until: datetime | None,
    text: str | None = None,
    ids: Ids | None = None,
    segment: str | None = None,
    rating_min: int | None = None,
    rating_max: int | None = None,
    author_lacks: str | None = None,
    by_time: ByTime = NONE_BY_TIME,
) -> Rows:
    for column, value in ((FeedbackItem.source, source), (FeedbackItem.kind, kind), (FeedbackItem.channel, channel)):
        if value is not None:
            query = query.where(column == value)
    scores = (rating_min, rating_max)
    query = _narrowed(query, FeedbackItem, FeedbackItem.text, FeedbackItem.rating, ids, text, segment, scores, by_time)
    if author_lacks:  # a masked search must not find items by their author (masked wherever the text repeats it)
        for who in (FeedbackItem.author, FeedbackItem.author_email):
            query = query.where(or_(who.is_(None), ~holds_words(who, author_lacks)))
    if customer is not None:
        query = query.where(
            FeedbackItem.customer_id == select(Customer.id).where(Customer.external_id == customer).scalar_subquery()
        )
    if since is not None:
        query = query.where(FeedbackItem.posted_at >= since)
    if until is not None:
        query = query.where(FeedbackItem.posted_at < until)
    return query


def feedback_page(
    session: Session,
    *,
    source: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    customer: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    ids: Ids | None = None,
    segment: str | None = None,
    rating_min: int | None = None,
    rating_max: int | None = None,
    author_lacks: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    count_up_to: int | None = None,
    before: tuple[datetime, int] | None = None,
    total_from_before: bool = False,
    ids_by_time: bool = False,
) -> Page[Any]:
    """Rows of (FeedbackItem, customer external id, touchpoint key) for one page; the filters and `count_up_to` as
    `response_page`'s, with the rating (1-5) in place of NPS and `author_lacks` as `list_feedback`'s."""
    filters: dict[str, Any] = {
        "source": source,
        "kind": kind,
        "channel": channel,
        "customer": customer,
        "since": since,
        "until": until,
        "text": text,
        "ids": ids,
        "segment": segment,
        "rating_min": rating_min,
        "rating_max": rating_max,
        "author_lacks": author_lacks,
        "by_time": _by_time(session, FeedbackItem, segment, ids, ids_by_time),
    }
    limit = max(1, min(limit, MAX_LIMIT))
    all_counted = before is None or total_from_before
    order = [*order_clause(sort, FEEDBACK_SORTS, "-posted_at"), FeedbackItem.id.desc()]
    rows = _feedback_filters(_feedback_rows(), **filters).order_by(*order)
    count = _feedback_filters(select(FeedbackItem.id), **filters)
    rows, count = _keyset(
        rows, count, FeedbackItem.posted_at, FeedbackItem.id, before=before, total_from_before=total_from_before
    )
    return _page(session, rows, count, limit=limit, offset=offset, count_up_to=count_up_to, rows_are_all=all_counted)


def feedback_row(session: Session, feedback_id: int) -> Any:
    """One (FeedbackItem, customer external id, touchpoint key) row, or None."""
    return session.execute(_feedback_rows().where(FeedbackItem.id == feedback_id)).first()


# ---- streamed exports (keyset pagination by id: memory stays flat whatever the table size) --------------------


def iter_response_rows(
    session: Session, *, since: datetime | None, until: datetime | None, batch_size: int
) -> Iterator[list[Any]]:
    """Batches of response rows (as `response_row`), oldest id first."""
    last = 0
    while True:
        query = _response_filters(_response_rows(), survey=None, channel=None, customer=None, since=since, until=until)
        batch = session.execute(query.where(Response.id > last).order_by(Response.id).limit(batch_size)).all()
        if not batch:
            return
        yield list(batch)
        last = batch[-1][0].id


def iter_feedback_rows(
    session: Session, *, since: datetime | None, until: datetime | None, batch_size: int
) -> Iterator[list[Any]]:
    """Batches of feedback rows (as `feedback_row`), oldest id first."""
    last = 0
    while True:
        query = _feedback_filters(
            _feedback_rows(), source=None, kind=None, channel=None, customer=None, since=since, until=until
        )
        batch = session.execute(query.where(FeedbackItem.id > last).order_by(FeedbackItem.id).limit(batch_size)).all()
        if not batch:
            return
        yield list(batch)
        last = batch[-1][0].id


def survey_question_ids(session: Session, *, survey_ids: Iterable[int] | None = None) -> list[str]:
    """Every question id of the given surveys' versions (all surveys when None), in first-seen order."""
    query = select(SurveyVersion.definition).order_by(SurveyVersion.survey_id, SurveyVersion.version)
    if survey_ids is not None:
        query = query.where(SurveyVersion.survey_id.in_(list(survey_ids)))
    seen: dict[str, None] = {}
    for definition in session.scalars(query):
        for question in definition.get("questions") or []:
            seen.setdefault(question["id"], None)
    return list(seen)


def count_rows(session: Session, what: str, *, since: datetime | None, until: datetime | None) -> int:
    """How many responses / feedback items an export of [since, until) will write."""
    column = {"responses": Response.submitted_at, "feedback": FeedbackItem.posted_at}[what]
    query = select(func.count()).select_from(column.class_)
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return session.scalar(query) or 0


def count_survey_responses(
    session: Session, *, survey_id: int, since: datetime | None = None, until: datetime | None = None
) -> int:
    """How many responses one survey has (submitted in [since, until) when given)."""
    query = select(func.count()).select_from(Response).where(Response.survey_id == survey_id)
    if since is not None:
        query = query.where(Response.submitted_at >= since)
    if until is not None:
        query = query.where(Response.submitted_at < until)
    return session.scalar(query) or 0


def last_answers(
    session: Session, *, customer_ids: Iterable[int], survey_ids: Iterable[int]
) -> dict[tuple[int, int], datetime]:
    """(customer id, survey id) -> when that customer last answered that survey, for the pairs with a response."""
    query = (
        select(Response.customer_id, Response.survey_id, func.max(Response.submitted_at))
        .where(Response.customer_id.in_(list(customer_ids)), Response.survey_id.in_(list(survey_ids)))
        .group_by(Response.customer_id, Response.survey_id)
    )
    return {(customer, survey): at for customer, survey, at in session.execute(query) if customer is not None}


def responses_by_key(session: Session, *, idempotency_keys: Sequence[str]) -> dict[str, tuple[int, datetime]]:
    """Idempotency key -> (response id, submission instant) for the keys that name a stored response."""
    found: dict[str, tuple[int, datetime]] = {}
    for start in range(0, len(idempotency_keys), 5_000):
        query = select(Response.idempotency_key, Response.id, Response.submitted_at).where(
            Response.idempotency_key.in_(idempotency_keys[start : start + 5_000])
        )
        found.update({str(key): (response_id, at) for key, response_id, at in session.execute(query)})
    return found
