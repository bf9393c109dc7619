"""Responses and feedback items: record (API, other domains), import (files), read, list and export.

Writes are set-based (see response_intake.py and feedback_intake.py). `record_*` and `submit_*` store a batch all
together or not at all; `import_*` keep the good rows of a file batch and report each bad one by its line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from cxloop.collection import queries
from cxloop.collection.errors import (
    FeedbackNotFound,
    InvalidFeedback,
    InvalidResponses,
    ResponseNotFound,
    UnknownSurvey,
)
from cxloop.collection.feedback_intake import ingest_feedback
from cxloop.collection.queries import Ids
from cxloop.collection.records import (
    FeedbackLike,
    FeedbackReader,
    HeaderError,
    ResponseReader,
    rename_answer_fields,
)
from cxloop.collection.response_batch import Outcome, Prepared
from cxloop.collection.response_intake import (
    ingest_responses,
    prepare_csv,
    prepare_json,
    prepare_responses,
)
from cxloop.collection.response_store import store_responses
from cxloop.collection.schemas import (
    ENRICHMENT_COLUMNS,
    RESPONSE_ADAPTER,
    FeedbackCreate,
    FeedbackPage,
    FeedbackRead,
    RecordResult,
    ResponseCreate,
    ResponsePage,
    ResponseRead,
    validated,
)
from cxloop.core.errors import FieldError, InvalidInput, RowError
from cxloop.storage.pagination import Page

FileFormat = Literal["csv", "jsonl"]
_FEEDBACK = TypeAdapter(FeedbackCreate)


@dataclass
class ImportResult:
    """What one import batch did: rows stored, rows already stored (same key), and each rejected row's problems."""

    created: int = 0
    duplicates: int = 0
    rejected: list[RowError] = field(default_factory=list)


def _result(outcome: Outcome) -> RecordResult:
    return RecordResult(
        created=outcome.created, duplicates=outcome.duplicates, ids=[i for i in outcome.ids if i is not None]
    )


def _raise_for(outcome: Outcome, what: str, error: type[InvalidInput]) -> None:
    if not outcome.errors:
        return
    errors = [
        FieldError(f"items.{i}.{e.field}" if e.field else f"items.{i}", e.message)
        for i in sorted(outcome.errors)
        for e in outcome.errors[i]
    ]
    count, total = len(outcome.errors), len(outcome.ids)
    if outcome.unknown_survey == set(outcome.errors):
        raise UnknownSurvey(
            f"{count} of {total} {what} name a survey that does not exist; nothing was stored", errors=errors
        )
    raise error(f"{count} of {total} {what} are not valid; nothing was stored", errors=errors)


def _validated(adapter: TypeAdapter[Any], payloads: Sequence[object]) -> list[Any]:
    """Each payload as a model, or the list of its problems (field = the pydantic location)."""
    return [validated(adapter, payload) for payload in payloads]


def _without_enrichment(value: object) -> object:
    """A JSON Lines row of an export, without the enrichment keys it carries (they are derived, not imported)."""
    if isinstance(value, dict) and not ENRICHMENT_COLUMNS_SET.isdisjoint(value):
        return {k: v for k, v in value.items() if k not in ENRICHMENT_COLUMNS_SET}
    return value


ENRICHMENT_COLUMNS_SET = frozenset(ENRICHMENT_COLUMNS)


# ---- responses -------------------------------------------------------------------------------------------------


def record_responses(
    session: Session, *, items: Sequence[ResponseCreate], idempotency_keys: Sequence[str | None] | None = None
) -> RecordResult:
    """Validate and store responses, all or nothing (InvalidResponses / UnknownSurvey name `items.<i>.<field>`).

    Derives nps/csat/ces/comment, sets the stage from the touchpoint (else the customer's current stage), creates
    bare customers for unknown external ids, and adds the scores to the rollups. An item whose idempotency key
    (its own, else `idempotency_keys[i]`) is stored already is a duplicate: nothing new is stored for it and its
    id is the original's.
    """
    outcome = ingest_responses(session, items, keys=idempotency_keys)
    _raise_for(outcome, "responses", InvalidResponses)
    return _result(outcome)


def check_responses(
    session: Session, *, payloads: Sequence[object], idempotency_keys: Sequence[str | None] | None = None
) -> Prepared:
    """The read-only half of storing raw JSON responses: validate every item (InvalidResponses / UnknownSurvey naming
    each problem). A server runs it outside the write transaction, so its processes validate batches side by side and
    only take turns to store them."""
    prepared = prepare_json(session, payloads, keys=idempotency_keys)
    _raise_for(prepared.outcome, "responses", InvalidResponses)
    return prepared


def store_checked(session: Session, prepared: Prepared) -> RecordResult:
    """The writing half: store a batch `check_responses` accepted."""
    return _result(store_responses(session, prepared, atomic=True))


@dataclass
class ItemResult:
    """The fate of one independent response in a coalesced write: its id and whether it was new, or its problems."""

    id: int | None = None
    created: bool = False
    errors: list[FieldError] = field(default_factory=list)
    unknown_survey: bool = False


def submit_each(
    session: Session, *, payloads: Sequence[object], idempotency_keys: Sequence[str | None]
) -> list[ItemResult]:
    """Store independent single responses in one transaction: a bad one is rejected alone, the rest are stored.

    Used to coalesce single-response requests that arrive together; each gets exactly the result it would have got
    alone (an item whose key was stored before, or earlier in this call, is a duplicate).
    """
    items = _validated(RESPONSE_ADAPTER, payloads)
    keys = [getattr(item, "idempotency_key", None) or key for item, key in zip(items, idempotency_keys, strict=True)]
    stored_before = queries.response_ids_by_key(session, [k for k in keys if k is not None])
    outcome = ingest_responses(session, items, keys=idempotency_keys, atomic=False)
    results: list[ItemResult] = []
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key is not None and key in stored_before:  # a resend answers the original, even if invalid today
            results.append(ItemResult(id=stored_before[key], created=False))
        elif i in outcome.errors:
            results.append(ItemResult(errors=outcome.errors[i], unknown_survey=i in outcome.unknown_survey))
        else:
            results.append(ItemResult(id=outcome.ids[i], created=key is None or key not in seen))
        if key is not None:
            seen.add(key)
    return results


def check_response_header(header: Sequence[str]) -> None:
    """InvalidInput naming the problem when a CSV header does not fit the responses format."""
    try:
        ResponseReader(header)
    except HeaderError as exc:
        raise InvalidInput(str(exc), errors=[FieldError("header", str(exc))]) from exc


def import_responses(
    session: Session,
    *,
    rows: Sequence[tuple[int, Any]],
    file_format: FileFormat,
    header: Sequence[str] | None = None,
) -> ImportResult:
    """Store the good rows of one file batch; each bad row is reported with its line and reasons.

    CSV rows are lists of cells read under `header`; JSON Lines rows are decoded JSON values (ResponseCreate
    objects). The row's `response_id`/`id` (CSV) or `idempotency_key` (JSONL) makes a re-import store nothing twice.
    """
    return store_response_import(session, prepare_response_import(session, rows, file_format, header))


@dataclass
class PreparedImport:
    """A file batch validated by `prepare_response_import` (reads only), for `store_response_import`."""

    prepared: Prepared
    lines: list[int]
    file_format: FileFormat


def prepare_response_import(
    session: Session, rows: Sequence[tuple[int, Any]], file_format: FileFormat, header: Sequence[str] | None
) -> PreparedImport:
    """The read-only half of `import_responses`: may run in another process, one batch ahead of the writes."""
    if file_format == "csv":
        if header is None:
            raise ValueError("a CSV import needs the header")
        prepared = prepare_csv(session, ResponseReader(header), [cells for _, cells in rows])
    else:
        prepared = prepare_responses(
            session, _validated(RESPONSE_ADAPTER, [_without_enrichment(value) for _, value in rows])
        )
    return PreparedImport(prepared, [line for line, _ in rows], file_format)


def store_response_import(session: Session, batch: PreparedImport) -> ImportResult:
    """The writing half of `import_responses`."""
    outcome = store_responses(session, batch.prepared, atomic=False)
    rename = rename_answer_fields if batch.file_format == "csv" else list
    return ImportResult(
        created=outcome.created,
        duplicates=outcome.duplicates,
        rejected=[RowError(batch.lines[i], rename(outcome.errors[i])) for i in sorted(outcome.errors)],
    )


def _response_read(row: Any) -> ResponseRead:
    response, survey_key, version, customer_external_id, touchpoint_key = row
    return ResponseRead(
        id=response.id,
        survey=survey_key,
        survey_id=response.survey_id,
        version=version,
        customer_id=response.customer_id,
        customer_external_id=customer_external_id,
        channel=response.channel,
        touchpoint=touchpoint_key,
        stage_id=response.stage_id,
        answers=response.answers,
        nps=response.nps,
        csat=response.csat,
        ces=response.ces,
        comment=response.comment,
        locale=response.locale,
        metadata=response.meta,
        is_partial=response.is_partial,
        submitted_at=response.submitted_at,
        received_at=response.received_at,
        idempotency_key=response.idempotency_key,
    )


def require_response(session: Session, *, response_id: int) -> ResponseRead:
    """One response; ResponseNotFound otherwise."""
    row = queries.response_row(session, response_id)
    if row is None:
        raise ResponseNotFound(f"no response with id {response_id}")
    return _response_read(row)


def list_responses(
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
) -> ResponsePage:
    """A page of responses filtered by survey key, channel, customer external id, [since, until), words in the
    comment (`text`, any case), response ids (`ids`, or a select of them: a theme's or a sentiment's, which the web
    app's explorer filters by), a segment's members (its key) and an NPS range; `before` (submitted_at, id) keeps the
    responses older than that one (the explorer's keyset pages), and with `total_from_before` the total counts only
    those; `ids_by_time` tests `ids` on each row read newest first, unsized (for a caller that bounds the rows read,
    as the explorer's search does)."""
    page: Page[Any] = queries.response_page(
        session,
        survey=survey,
        channel=channel,
        customer=customer,
        since=since,
        until=until,
        text=text,
        ids=ids,
        segment=segment,
        nps_min=nps_min,
        nps_max=nps_max,
        sort=sort,
        limit=limit,
        offset=offset,
        count_up_to=count_up_to,
        before=before,
        total_from_before=total_from_before,
        ids_by_time=ids_by_time,
    )
    return ResponsePage(
        items=[_response_read(r) for r in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


def list_detractors(session: Session, *, since: datetime, until: datetime, limit: int = 5) -> list[ResponseRead]:
    """The lowest NPS answers (0-6) of [since, until), those with a comment first (weekly digests show a few)."""
    return [_response_read(r) for r in queries.detractor_rows(session, since=since, until=until, limit=limit)]


def iter_responses(
    session: Session, *, since: datetime | None = None, until: datetime | None = None, batch_size: int = 5000
) -> Iterator[list[ResponseRead]]:
    """Every response submitted in [since, until), in batches, oldest id first (for exports)."""
    for batch in queries.iter_response_rows(session, since=since, until=until, batch_size=batch_size):
        yield [_response_read(r) for r in batch]


def count_responses(
    session: Session, *, since: datetime | None = None, until: datetime | None = None, survey_id: int | None = None
) -> int:
    """How many responses were submitted in [since, until) (to one survey when `survey_id` is given)."""
    if survey_id is not None:
        return queries.count_survey_responses(session, survey_id=survey_id, since=since, until=until)
    return queries.count_rows(session, "responses", since=since, until=until)


def last_answers(
    session: Session, *, customer_ids: Sequence[int], survey_ids: Sequence[int]
) -> dict[tuple[int, int], datetime]:
    """(customer id, survey id) -> the customer's latest response to the survey, for the pairs given that have one."""
    return queries.last_answers(session, customer_ids=customer_ids, survey_ids=survey_ids)


def responses_by_key(session: Session, *, idempotency_keys: Sequence[str]) -> dict[str, tuple[int, datetime]]:
    """Idempotency key -> (response id, submission instant) for the keys that name a stored response."""
    return queries.responses_by_key(session, idempotency_keys=idempotency_keys)


def answer_columns(session: Session) -> list[str]:
    """Every question id of every survey version: the `answer.<id>` columns of a full responses export."""
    return queries.survey_question_ids(session)


# ---- feedback --------------------------------------------------------------------------------------------------


def record_feedback(session: Session, *, items: Sequence[FeedbackCreate]) -> RecordResult:
    """Validate and store feedback items, all or nothing; the same (source, external_id) is stored once."""
    outcome = ingest_feedback(session, items)
    _raise_for(outcome, "feedback items", InvalidFeedback)
    return _result(outcome)


def submit_feedback(session: Session, *, payloads: Sequence[object]) -> RecordResult:
    """Like record_feedback for raw JSON values: every problem of every item is reported together."""
    outcome = ingest_feedback(session, _validated(_FEEDBACK, payloads))
    _raise_for(outcome, "feedback items", InvalidFeedback)
    return _result(outcome)


def check_feedback_header(header: Sequence[str]) -> None:
    """InvalidInput naming the problem when a CSV header does not fit the feedback format."""
    try:
        FeedbackReader(header)
    except HeaderError as exc:
        raise InvalidInput(str(exc), errors=[FieldError("header", str(exc))]) from exc


def import_feedback(
    session: Session,
    *,
    rows: Sequence[tuple[int, Any]],
    file_format: FileFormat,
    header: Sequence[str] | None = None,
) -> ImportResult:
    """Store the good rows of one file batch of feedback items; report each bad row with its line."""
    items: list[FeedbackLike | list[FieldError]]
    if file_format == "csv":
        if header is None:
            raise ValueError("a CSV import needs the header")
        reader = FeedbackReader(header)
        items = [reader.parse(cells) for _, cells in rows]
    else:
        items = _validated(_FEEDBACK, [_without_enrichment(value) for _, value in rows])
    outcome = ingest_feedback(session, items, atomic=False)
    return ImportResult(
        created=outcome.created,
        duplicates=outcome.duplicates,
        rejected=[RowError(rows[i][0], outcome.errors[i]) for i in sorted(outcome.errors)],
    )


def _feedback_read(row: Any) -> FeedbackRead:
    item, customer_external_id, touchpoint_key = row
    return FeedbackRead(
        id=item.id,
        kind=item.kind,
        source=item.source,
        external_id=item.external_id,
        channel=item.channel,
        text=item.text,
        rating=item.rating,
        author=item.author,
        author_email=item.author_email,
        url=item.url,
        customer_id=item.customer_id,
        customer_external_id=customer_external_id,
        touchpoint=touchpoint_key,
        stage_id=item.stage_id,
        metadata=item.meta,
        posted_at=item.posted_at,
        received_at=item.received_at,
    )


def require_feedback(session: Session, *, feedback_id: int) -> FeedbackRead:
    """One feedback item; FeedbackNotFound otherwise."""
    row = queries.feedback_row(session, feedback_id)
    if row is None:
        raise FeedbackNotFound(f"no feedback item with id {feedback_id}")
    return _feedback_read(row)


def list_feedback(
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
) -> FeedbackPage:
    """A page of feedback items filtered by source, kind, channel, customer external id, [since, until), words in the
    text, item ids (or a select of them), a segment's members and a rating range (1-5); `author_lacks` keeps the
    items whose author and author email do not contain those words (any case)."""
    page: Page[Any] = queries.feedback_page(
        session,
        source=source,
        kind=kind,
        channel=channel,
        customer=customer,
        since=since,
        until=until,
        text=text,
        ids=ids,
        segment=segment,
        rating_min=rating_min,
        rating_max=rating_max,
        author_lacks=author_lacks,
        sort=sort,
        limit=limit,
        offset=offset,
        count_up_to=count_up_to,
        before=before,
        total_from_before=total_from_before,
        ids_by_time=ids_by_time,
    )
    return FeedbackPage(
        items=[_feedback_read(r) for r in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


def newest_rows_start(
    session: Session,
    what: str,
    *,
    since: datetime | None,
    until: datetime | None,
    before: tuple[datetime, int] | None = None,
    rows: int,
) -> datetime | None:
    """Where the newest `rows` responses or feedback items (`what`: "responses", "feedback") of [since, until) older
    than `before` start: the time of the next older one, None when no more remain (the explorer's search window)."""
    return queries.newest_rows_start(session, what, since=since, until=until, before=before, rows=rows)


def iter_feedback(
    session: Session, *, since: datetime | None = None, until: datetime | None = None, batch_size: int = 5000
) -> Iterator[list[FeedbackRead]]:
    """Every feedback item posted in [since, until), in batches, oldest id first (for exports)."""
    for batch in queries.iter_feedback_rows(session, since=since, until=until, batch_size=batch_size):
        yield [_feedback_read(r) for r in batch]


def count_feedback(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> int:
    """How many feedback items were posted in [since, until)."""
    return queries.count_rows(session, "feedback", since=since, until=until)
