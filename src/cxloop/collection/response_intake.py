"""The write path for survey responses: validate a whole batch with one lookup per kind (this module, reads only),
then store it in one write transaction (response_store.py); response_batch.py is what passes between the two.

Per batch: one query for idempotency keys already stored, one for the survey versions (compiled once), one for the
touchpoints, one per 1,000 customers, one bulk INSERT/COPY, one rollup update. Per row: the compiled survey rules and
plain Python; no ORM objects, and pydantic only for objects the fast lane leaves to the full path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from cxloop.collection import hooks, queries
from cxloop.collection.records import ResponseInput, ResponseLike, ResponseReader
from cxloop.collection.response_batch import Outcome, Prepared, ValidRow
from cxloop.collection.response_rows import FUTURE_TOLERANCE, JSON_READER, FastLane, json_cells
from cxloop.collection.response_store import link_known_customers, replay_resends, store_responses
from cxloop.collection.rows import ResponseRow, epoch_seconds
from cxloop.collection.schemas import MAX_METADATA_BYTES, RESPONSE_ADAPTER, validated
from cxloop.core.clock import ensure_utc, utcnow
from cxloop.core.errors import FieldError
from cxloop.storage import bulk_insert
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.service import ResolvedVersion

PRE_LOOKUP = 20  # batches with at least this many idempotency keys look them up before validating


def ingest_responses(
    session: Session,
    items: Sequence[ResponseLike | list[FieldError]],
    *,
    keys: Sequence[str | None] | None = None,
    from_text: bool = False,
    atomic: bool = True,
) -> Outcome:
    """Validate and store responses. An item may arrive as the list of problems found while parsing it.

    `keys[i]` is the idempotency key of item i when the item carries none. `from_text`: answers are text (CSV).
    `atomic`: when any item is bad, store nothing (else store the good ones and report the bad).
    """
    return store_responses(session, prepare_responses(session, items, keys=keys, from_text=from_text), atomic=atomic)


def prepare_responses(
    session: Session,
    items: Sequence[ResponseLike | list[FieldError]],
    *,
    keys: Sequence[str | None] | None = None,
    from_text: bool = False,
) -> Prepared:
    """The validation half of `ingest_responses`: reads only."""
    n = len(items)
    outcome = Outcome(ids=[None] * n)
    errors = outcome.errors
    now = utcnow()
    codec = bulk_insert.codec_for(session)
    received_at = codec.instant(now)

    candidates: list[tuple[int, ResponseLike, str | None]] = []
    for i, item in enumerate(items):
        if isinstance(item, list):
            errors[i] = item
            continue
        key = item.idempotency_key or (keys[i] if keys is not None else None)
        candidates.append((i, item, key))

    # Skipping the keys stored already saves validating them (re-imports); for a few items the insert's
    # ON CONFLICT finds them just as well, one query cheaper.
    keyed = [key for _, _, key in candidates if key is not None]
    looked_up = len(keyed) >= PRE_LOOKUP
    stored = queries.response_ids_by_key(session, keyed) if looked_up else {}
    if stored:
        fresh = []
        for i, item, key in candidates:
            if key is not None and key in stored:
                outcome.ids[i] = stored[key]
                outcome.duplicates += 1
            else:
                fresh.append((i, item, key))
        candidates = fresh

    refs = {(item.survey, item.version) for _, item, _ in candidates}
    versions = surveys.resolve_versions(session, refs=refs | {(survey, None) for survey, _ in refs})
    touchpoints = queries.touchpoints_by_key(session, {item.touchpoint for _, item, _ in candidates if item.touchpoint})
    valid: list[ValidRow] = []
    for i, item, key in candidates:
        checked = _validate(outcome, i, item, key, versions, touchpoints, now, from_text, codec, received_at)
        if checked is not None:
            valid.append(checked)
    error_keys = {i: key for i, _, key in candidates if key is not None and i in errors}
    link_known_customers(session, valid)
    return _prepared(session, Prepared(outcome, valid, looked_up, error_keys))


def prepare_csv(session: Session, reader: ResponseReader, records: Sequence[Sequence[str]]) -> Prepared:
    """Validate the records (cell lists) of one CSV batch, reads only; `store` keeps the good ones. Plainly valid
    records take the fast lane (response_rows.py); the others are parsed and checked in full, so every problem is
    still reported."""
    return _prepare_lanes(session, reader, records, reader.keys(records), lambda i: reader.parse(records[i]), True)


def prepare_json(session: Session, payloads: Sequence[object], *, keys: Sequence[str | None] | None = None) -> Prepared:
    """Validate a batch of raw JSON objects stored all or nothing (the API's batches; reads only): a rejected item
    stored before is a resend, counted as a duplicate. A plain object (the usual widget or
    webhook payload: survey, customer, channel, touchpoint, scores, comment...) takes the fast lane like a CSV
    record; any other is validated by pydantic and checked in full. Both lanes give the same result
    (tests/collection/test_json_lane.py)."""
    cells = [json_cells(payload) for payload in payloads]
    # An object's own key as pydantic reads it (a string is taken as it is), else the header's.
    all_keys: list[str | None] = []
    for i, payload in enumerate(payloads):
        own = payload.get("idempotency_key") if isinstance(payload, dict) else None
        all_keys.append((own if isinstance(own, str) else None) or (keys[i] if keys is not None else None))

    def full(i: int) -> ResponseLike | list[FieldError]:
        return validated(RESPONSE_ADAPTER, payloads[i])

    prepared = _prepare_lanes(session, JSON_READER, cells, all_keys, full, False)
    errors = prepared.outcome.errors
    prepared.error_keys = {i: key for i, key in enumerate(all_keys) if key is not None and i in errors}
    replay_resends(session, prepared)
    return prepared


def _prepare_lanes(
    session: Session,
    reader: ResponseReader,
    records: Sequence[Sequence[str] | None],
    keys: Sequence[str | None],
    full: Callable[[int], ResponseLike | list[FieldError]],
    from_text: bool,
) -> Prepared:
    """Records (cells under `reader`; None: no cells) through the fast lane, the rest through `full(i)`."""
    outcome = Outcome(ids=[None] * len(records))
    now = utcnow()
    codec = bulk_insert.codec_for(session)
    received_at = codec.instant(now)
    keyed = [key for key in keys if key is not None]
    looked_up = len(keyed) >= PRE_LOOKUP
    stored = queries.response_ids_by_key(session, keyed) if looked_up else {}
    laned = [cells for cells in records if cells is not None]
    versions = surveys.resolve_versions(session, refs=reader.survey_refs(laned))
    touchpoints = queries.touchpoints_by_key(session, reader.touchpoint_keys(laned))
    lane = FastLane(reader, versions, touchpoints, codec, now, received_at)
    valid: list[ValidRow] = []
    for i, cells in enumerate(records):
        key = keys[i]
        if key is not None and key in stored:
            outcome.ids[i] = stored[key]
            outcome.duplicates += 1
            continue
        fast = lane.row(cells, key) if cells is not None else None
        if fast is not None:
            valid.append(ValidRow(i, *fast))
            continue
        item = full(i)
        if isinstance(item, list):
            outcome.errors[i] = item
            continue
        if (item.survey, item.version) not in versions:  # a version the records' cells did not name plainly
            refs = [(item.survey, item.version), (item.survey, None)]
            versions.update(surveys.resolve_versions(session, refs=refs))
        if item.touchpoint and item.touchpoint not in touchpoints:
            touchpoints.update(queries.touchpoints_by_key(session, [item.touchpoint]))
        checked = _validate(outcome, i, item, key, versions, touchpoints, now, from_text, codec, received_at)
        if checked is not None:
            valid.append(checked)
    link_known_customers(session, valid)
    return _prepared(session, Prepared(outcome, valid, looked_up))


def _prepared(session: Session, prepared: Prepared) -> Prepared:
    """Let the `responses_prepared` hook work ahead on the valid rows (e.g. count their rollups)."""
    if prepared.valid and len(hooks.responses_prepared):
        hooks.responses_prepared(session, rows=[v.view() for v in prepared.valid], ahead=prepared.ahead)
    return prepared


def _validate(
    outcome: Outcome,
    i: int,
    item: ResponseLike,
    key: str | None,
    versions: dict[tuple[str, int | None], ResolvedVersion],
    touchpoints: dict[str, tuple[int, int]],
    now: datetime,
    from_text: bool,
    codec: bulk_insert.Codec,
    received_at: Any,
) -> ValidRow | None:
    """Item i checked in full: its row, or None with its problems recorded in `outcome`."""
    found = versions.get((item.survey, item.version))
    exists = found is not None or (item.survey, None) in versions
    problems = _check(item, found, exists, touchpoints, now, from_text, codec, key, received_at)
    unparsed = item.problems if isinstance(item, ResponseInput) else None
    if unparsed:
        problems = unparsed + (problems if isinstance(problems, list) else [])
    if isinstance(problems, list):
        outcome.errors[i] = problems
        if found is None and len(problems) == 1 and problems[0].field == "survey":
            outcome.unknown_survey.add(i)
        return None
    problems.index = i
    return problems


def _check(
    item: ResponseLike,
    found: ResolvedVersion | None,
    survey_exists: bool,
    touchpoints: dict[str, tuple[int, int]],
    now: datetime,
    from_text: bool,
    codec: bulk_insert.Codec,
    key: str | None,
    received_at: Any,
) -> list[FieldError] | ValidRow:
    """The problems of one item, or its row ready to insert."""
    if found is None:
        if survey_exists:
            return [FieldError("version", f"survey '{item.survey}' has no version {item.version}")]
        return [FieldError("survey", f"no survey with key '{item.survey}'")]
    problems: list[FieldError] = []
    latest = now + FUTURE_TOLERANCE
    if found.status == SurveyStatus.draft:
        problems.append(
            FieldError(
                "survey", f"survey '{found.key}' is a draft; make it live (or paused/closed) to collect responses"
            )
        )
    touchpoint_id = stage_id = None
    if item.touchpoint is not None:
        pair = touchpoints.get(item.touchpoint)
        if pair is None:
            problems.append(FieldError("touchpoint", f"no touchpoint with key '{item.touchpoint}'"))
        else:
            touchpoint_id, stage_id = pair
    submitted_at = item.submitted_at
    if submitted_at is None:
        submitted_at = now
    elif submitted_at.tzinfo is not UTC:
        submitted_at = ensure_utc(submitted_at)
    if submitted_at > latest:
        problems.append(FieldError("submitted_at", "is in the future"))
    metadata = codec.json(item.metadata) if item.metadata else "{}"
    if len(metadata) > MAX_METADATA_BYTES:
        problems.append(FieldError("metadata", f"must be at most {MAX_METADATA_BYTES:,} bytes of JSON"))
    elif "\\u0000" in metadata:
        problems.append(FieldError("metadata", "must not contain NUL characters"))
    scored = found.rules.score(
        item.answers,
        nps=item.nps,
        csat=item.csat,
        ces=item.ces,
        comment=item.comment,
        partial=item.is_partial,
        from_text=from_text,
    )
    if scored.errors:
        problems.extend(scored.errors)
    if problems:
        return problems
    channel = str(item.channel)
    locale = item.locale.replace("_", "-") if item.locale else None
    row = ResponseRow(
        found.survey_id,
        found.version_id,
        None,
        channel,
        touchpoint_id,
        stage_id,
        codec.json(scored.answers),
        scored.nps,
        scored.csat,
        scored.ces,
        scored.comment,
        metadata,
        locale,
        codec.flag(item.is_partial),
        codec.instant(submitted_at),
        received_at,
        key,
    )
    return ValidRow(
        index=-1,
        row=row,
        customer=item.customer_external_id,
        seconds=epoch_seconds(submitted_at),
    )
