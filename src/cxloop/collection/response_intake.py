"""The write path for survey responses: validate a whole batch with one lookup per kind, then insert it in bulk.

Per batch: one query for idempotency keys already stored, one for the survey versions (compiled once), one for the
touchpoints, one per 1,000 customers, one bulk INSERT/COPY, one rollup update. Per row: the compiled survey rules and
plain Python; no ORM objects and no pydantic models.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from cxloop.collection import queries, rollups
from cxloop.collection.errors import SurveyGone
from cxloop.collection.records import ResponseInput, ResponseLike, ResponseReader
from cxloop.collection.response_rows import FUTURE_TOLERANCE, JSON_READER, FastLane, json_cells
from cxloop.collection.schemas import MAX_METADATA_BYTES, RESPONSE_ADAPTER, validated
from cxloop.core.clock import ensure_utc, utcnow
from cxloop.core.errors import FieldError
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.storage import bulk_insert, references
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.service import ResolvedVersion

PRE_LOOKUP = 20  # batches with at least this many idempotency keys look them up before validating
COLUMNS = (
    "survey_id",
    "survey_version_id",
    "customer_id",
    "channel",
    "touchpoint_id",
    "stage_id",
    "answers",
    "nps",
    "csat",
    "ces",
    "comment",
    "metadata",
    "locale",
    "is_partial",
    "submitted_at",
    "received_at",
    "idempotency_key",
)
_CUSTOMER, _STAGE, _KEY = COLUMNS.index("customer_id"), COLUMNS.index("stage_id"), COLUMNS.index("idempotency_key")


@dataclass
class Outcome:
    """What happened to each item of a batch. `ids[i]` is None for a rejected item."""

    ids: list[int | None]
    created: int = 0
    duplicates: int = 0
    errors: dict[int, list[FieldError]] = field(default_factory=dict)
    # Items whose only problem is a survey key that does not exist (the API answers 404 when no other problem exists).
    unknown_survey: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Valid:
    index: int
    row: list[Any]  # COLUMNS order, customer_id filled in when the customer is looked up
    customer: str | None
    seconds: int  # submitted_at in whole seconds since 1970, for the rollups
    customer_stage: bool = False  # row's stage_id is the customer's (no touchpoint gave one)
    staged: bool = False  # the row's stage is counted in Prepared.precounted

    @property
    def stage_final(self) -> bool:
        """Linking the customer cannot change the row's stage: no customer, linked already, or a touchpoint's."""
        row = self.row
        return self.customer is None or row[_CUSTOMER] is not None or row[_STAGE] is not None


@dataclass
class Prepared:
    """A batch validated by the read-only half of the work, ready for `store` (a file import prepares the next batch
    in another process while the current one is stored)."""

    outcome: Outcome
    valid: list[_Valid]
    looked_up: bool = False  # stored keys were looked up before validating
    error_keys: dict[int, str] = field(default_factory=dict)  # idempotency keys of the rejected items
    # The valid rows' rollup increments in the dimensions known before customers are linked (rollups.count_rows).
    precounted: Counter[Any] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if self.valid and not self.precounted:
            rows = []
            for v in self.valid:  # a row's stage is counted now when linking its customer cannot change it
                v.staged = v.stage_final
                row = v.row
                stage = row[_STAGE] if v.staged else rollups.UNCOUNTED
                rows.append((v.seconds, None, row[0], row[3], row[4], stage, row[7], row[8], row[9]))
            self.precounted = rollups.count_rows(rows, dimensions=rollups.CUSTOMER_FREE | rollups.STAGE)
            # In key order, which the rollup upsert wants: sorting again in `store` finds one run and is cheap.
            self.precounted = Counter(dict(sorted(self.precounted.items())))

    def __getstate__(self) -> dict[str, Any]:
        # Crosses a process boundary per import batch: the rows as plain lists pickle several times faster.
        state = {name: getattr(self, name) for name in ("outcome", "looked_up", "error_keys", "precounted")}
        state["valid"] = [(v.index, v.row, v.customer, v.seconds, v.customer_stage, v.staged) for v in self.valid]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self.valid = [_Valid(*fields) for fields in state["valid"]]


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
    if not atomic:
        return store(session, prepare_responses(session, items, keys=keys, from_text=from_text))
    prepared = prepare_all_or_nothing(session, items, keys=keys, from_text=from_text)
    return prepared.outcome if prepared.outcome.errors else store(session, prepared)


def prepare_all_or_nothing(
    session: Session,
    items: Sequence[ResponseLike | list[FieldError]],
    *,
    keys: Sequence[str | None] | None = None,
    from_text: bool = False,
) -> Prepared:
    """`prepare_responses` for a batch stored all or nothing (reads only): when its outcome has errors, store
    nothing. A rejected item that was stored before is a resend, so it counts as a duplicate instead."""
    prepared = prepare_responses(session, items, keys=keys, from_text=from_text)
    outcome = prepared.outcome
    if outcome.errors and not prepared.looked_up:
        _replay_stored(session, outcome, prepared.error_keys)
    return prepared


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
    valid: list[_Valid] = []
    for i, item, key in candidates:
        checked = _validate(outcome, i, item, key, versions, touchpoints, now, from_text, codec, received_at)
        if checked is not None:
            valid.append(checked)
    error_keys = {i: key for i, _, key in candidates if key is not None and i in errors}
    _link_known_customers(session, valid)
    return Prepared(outcome, valid, looked_up, error_keys)


def ingest_csv(session: Session, reader: ResponseReader, records: Sequence[Sequence[str]]) -> Outcome:
    """Validate and store the records (cell lists) of one CSV batch, keeping the good ones (`ingest_responses` with
    `from_text`, `atomic=False`)."""
    return store(session, prepare_csv(session, reader, records))


def prepare_csv(session: Session, reader: ResponseReader, records: Sequence[Sequence[str]]) -> Prepared:
    """The validation half of `ingest_csv`: reads only. Plainly valid records take the fast lane
    (response_rows.py); the others are parsed and checked in full, so every problem is still reported."""
    return _prepare_lanes(session, reader, records, reader.keys(records), lambda i: reader.parse(records[i]), True)


def prepare_json(session: Session, payloads: Sequence[object], *, keys: Sequence[str | None] | None = None) -> Prepared:
    """`prepare_all_or_nothing` for raw JSON objects (the API's batches): a plain object (the usual widget or
    webhook payload: survey, customer, channel, touchpoint, scores, comment...) takes the fast lane like a CSV
    record; any other is validated by pydantic and checked in full. Both lanes give the same result
    (tests/collection/test_json_lane.py)."""
    cells = [json_cells(payload) for payload in payloads]
    items: dict[int, Any] = {}
    for i, payload in enumerate(payloads):
        if cells[i] is None:
            items[i] = validated(RESPONSE_ADAPTER, payload)
    all_keys: list[str | None] = []
    for i, payload in enumerate(payloads):
        own = payload.get("idempotency_key") if isinstance(payload, dict) else None
        item = items.get(i)
        if item is not None and not isinstance(item, list):
            own = item.idempotency_key
        all_keys.append(own if isinstance(own, str) else None)
    all_keys = [own or (keys[i] if keys is not None else None) for i, own in enumerate(all_keys)]

    def full(i: int) -> ResponseLike | list[FieldError]:
        found = items.get(i)
        if found is None:
            found = items[i] = validated(RESPONSE_ADAPTER, payloads[i])
        return found

    prepared = _prepare_lanes(session, JSON_READER, cells, all_keys, full, False)
    if prepared.outcome.errors:
        prepared.error_keys = {
            i: key for i, key in enumerate(all_keys) if key is not None and i in prepared.outcome.errors
        }
        if not prepared.looked_up:
            _replay_stored(session, prepared.outcome, prepared.error_keys)
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
    valid: list[_Valid] = []
    for i, cells in enumerate(records):
        key = keys[i]
        if key is not None and key in stored:
            outcome.ids[i] = stored[key]
            outcome.duplicates += 1
            continue
        fast = lane.row(cells, key) if cells is not None else None
        if fast is not None:
            valid.append(_Valid(i, *fast))
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
    _link_known_customers(session, valid)
    return Prepared(outcome, valid, looked_up)


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
) -> _Valid | None:
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


def store(session: Session, prepared: Prepared) -> Outcome:
    """Insert the valid rows (a key repeated in the batch once), link customers, and count them into the rollups.

    A key stored since the batch was prepared (by a concurrent writer, or by the previous batch of the same file)
    makes its row a duplicate."""
    outcome = prepared.outcome
    references.hold_parents_of(session, "responses")  # before checking that what the rows point at still exists
    valid = _drop_repeated_keys(prepared.valid, outcome)
    cleared = _forget_deleted_places(session, valid)
    if _link_customers(session, valid) or cleared:  # deleted since the batch was prepared: count afresh
        prepared.precounted = rollups.count_rows(_scored(prepared.valid))
        for v in prepared.valid:
            v.staged = False
    rows = [tuple(v.row) for v in valid]
    ids = bulk_insert.insert_rows(
        session,
        table="responses",
        columns=COLUMNS,
        rows=rows,
        conflict=("idempotency_key",),
        key_of=lambda row: row[_KEY],
        lookup=lambda found_keys: queries.response_ids_by_key(session, found_keys),
    )
    stored: list[_Valid] = []
    raced: list[_Valid] = []
    for v, new_id in zip(valid, ids, strict=True):
        if new_id is None:
            raced.append(v)
            continue
        outcome.ids[v.index] = new_id
        stored.append(v)
    outcome.created = len(stored)
    if raced:  # stored by a concurrent writer between our lookup and our insert
        existing = queries.response_ids_by_key(session, [v.row[_KEY] for v in raced])
        for v in raced:
            outcome.ids[v.index] = existing[v.row[_KEY]]
        outcome.duplicates += len(raced)
    _point_repeats(outcome)
    counts = prepared.precounted
    if len(stored) < len(prepared.valid):  # rows counted ahead but not stored
        kept = {id(v) for v in stored}
        dropped = [v for v in prepared.valid if id(v) not in kept]
        counts = counts - rollups.count_rows(_scored(dropped))
        counts = counts - rollups.count_rows(_scored([v for v in dropped if v.staged]), dimensions=rollups.STAGE)
    counts.update(rollups.count_rows(_scored([v for v in stored if not v.staged]), dimensions=rollups.STAGE))
    in_segments = _scored(stored) if rollups.segments_in_use(session) else []
    rollups.record_rows(session, rows=in_segments, precounted=counts)
    return outcome


def _scored(valid: Sequence[_Valid]) -> list[rollups.ScoredRow]:
    """The rows as the rollups see them."""
    return [(v.seconds, v.row[_CUSTOMER], v.row[0], v.row[3], v.row[4], v.row[_STAGE], *v.row[7:10]) for v in valid]


def _replay_stored(session: Session, outcome: Outcome, keys: dict[int, str]) -> bool:
    """A resend answers its original result even when it would not validate today (e.g. its survey became a
    draft). True when every rejected item turned out to be stored already: they are duplicates then, not errors."""
    if len(keys) < len(outcome.errors):
        return False
    stored = queries.response_ids_by_key(session, keys.values())
    if any(key not in stored for key in keys.values()):
        return False
    for i, key in keys.items():
        outcome.ids[i] = stored[key]
        outcome.duplicates += 1
    outcome.errors.clear()
    outcome.unknown_survey.clear()
    return True


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
) -> list[FieldError] | _Valid:
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
    row = [
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
    ]
    return _Valid(
        index=-1,
        row=row,
        customer=item.customer_external_id,
        seconds=rollups.epoch_seconds(submitted_at),
    )


def _drop_repeated_keys(valid: list[_Valid], outcome: Outcome) -> list[_Valid]:
    """Within one batch the first item with a key wins; later ones are duplicates of it (ids filled in later)."""
    first: dict[Hashable, int] = {}
    kept: list[_Valid] = []
    for v in valid:
        key = v.row[_KEY]
        if key is None:
            kept.append(v)
        elif key in first:
            outcome.ids[v.index] = -first[key] - 1  # resolved by _point_repeats once the first has its id
            outcome.duplicates += 1
        else:
            first[key] = v.index
            kept.append(v)
    return kept


def _point_repeats(outcome: Outcome) -> None:
    ids = outcome.ids
    for i, value in enumerate(ids):
        if value is not None and value < 0:
            ids[i] = ids[-value - 1]


def _forget_deleted_places(session: Session, valid: list[_Valid]) -> bool:
    """Survey versions, touchpoints and stages the batch was validated against and that were deleted since it was
    prepared: a survey's refuses the batch (it no longer exists), a touchpoint or stage is cleared, as the
    deletion did to the responses stored before (then True)."""
    versions = references.missing(session, "survey_versions", {v.row[1] for v in valid})
    if versions:
        raise SurveyGone("a survey this batch answers was deleted while it was being stored; nothing was stored")
    touchpoints = references.missing(session, "touchpoints", {t for v in valid if (t := v.row[4]) is not None})
    stages = references.missing(session, "stages", {s for v in valid if (s := v.row[_STAGE]) is not None})
    for v in valid:
        if v.row[4] in touchpoints:
            v.row[4] = None
        if v.row[_STAGE] in stages:
            v.row[_STAGE] = None
    return bool(touchpoints or stages)


def _link_known_customers(session: Session, valid: list[_Valid]) -> None:
    """Fill customer_id (and the stage when no touchpoint gave one) of the rows whose customer exists: the read-only
    half of linking, done while preparing (`_link_customers` checks it still holds)."""
    wanted = {v.customer for v in valid if v.customer is not None}
    if not wanted:
        return
    _fill(valid, queries.customers_by_external_id(session, wanted))


def _link_customers(session: Session, valid: list[_Valid]) -> bool:
    """Link the rows not linked yet; unknown external ids become bare customers. When a customer linked while
    preparing was deleted since, every row is linked again (and True is returned)."""
    linked = {v.row[_CUSTOMER] for v in valid if v.row[_CUSTOMER] is not None}
    relinked = bool(references.missing(session, "customers", linked))
    if relinked:
        for v in valid:
            v.row[_CUSTOMER] = None
            if v.customer_stage:
                v.row[_STAGE], v.customer_stage = None, False
    wanted = {v.customer for v in valid if v.customer is not None and v.row[_CUSTOMER] is None}
    if not wanted:
        return relinked
    known = queries.customers_by_external_id(session, wanted)
    unknown = sorted(wanted - known.keys())
    if unknown:
        created = customers.upsert_customers(session, items=[CustomerUpsert(external_id=e) for e in unknown])
        known.update({external_id: (cid, None) for external_id, cid in zip(unknown, created, strict=True)})
    _fill([v for v in valid if v.row[_CUSTOMER] is None], known)
    return relinked


def _fill(valid: list[_Valid], known: dict[str, tuple[int, int | None]]) -> None:
    for v in valid:
        if v.customer is None or (found := known.get(v.customer)) is None:
            continue
        customer_id, stage_id = found
        v.row[_CUSTOMER] = customer_id
        if v.row[_STAGE] is None and stage_id is not None:
            v.row[_STAGE], v.customer_stage = stage_id, True
