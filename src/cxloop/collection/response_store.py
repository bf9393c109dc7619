"""The writing half of a response batch: one transaction that re-checks what the batch points at, links customers,
inserts the rows in bulk and adds them to the rollups (response_intake.py validates; response_batch.py carries)."""

from __future__ import annotations

from collections.abc import Hashable

from sqlalchemy.orm import Session

from cxloop.collection import queries, rollups
from cxloop.collection.errors import SurveyGone
from cxloop.collection.response_batch import (
    COLUMNS,
    CUSTOMER,
    KEY,
    STAGE,
    Outcome,
    Prepared,
    ValidRow,
    precount,
    scored_rows,
)
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.jobs import events, outbox
from cxloop.storage import bulk_insert, references


def store(session: Session, prepared: Prepared) -> Outcome:
    """Insert the valid rows (a key repeated in the batch once), link customers, and count them into the rollups.

    A key stored since the batch was prepared (by a concurrent writer, or by the previous batch of the same file)
    makes its row a duplicate."""
    outcome = prepared.outcome
    references.hold_parents_of(session, "responses")  # before checking that what the rows point at still exists
    valid = _drop_repeated_keys(prepared.valid, outcome)
    cleared = _forget_deleted_places(session, valid)
    if _link_customers(session, valid) or cleared:  # deleted since the batch was prepared: count afresh
        for v in prepared.valid:
            v.staged = False
        prepared.precounted = precount(prepared.valid)
    rows = [tuple(v.row) for v in valid]
    ids = bulk_insert.insert_rows(
        session,
        table="responses",
        columns=COLUMNS,
        rows=rows,
        conflict=("idempotency_key",),
        key_of=lambda row: row[KEY],
        lookup=lambda found_keys: queries.response_ids_by_key(session, found_keys),
    )
    stored: list[ValidRow] = []
    raced: list[ValidRow] = []
    for v, new_id in zip(valid, ids, strict=True):
        if new_id is None:
            raced.append(v)
            continue
        outcome.ids[v.index] = new_id
        stored.append(v)
    outcome.created = len(stored)
    if raced:  # stored by a concurrent writer between our lookup and our insert
        existing = queries.response_ids_by_key(session, [v.row[KEY] for v in raced])
        for v in raced:
            outcome.ids[v.index] = existing[v.row[KEY]]
        outcome.duplicates += len(raced)
    _point_repeats(outcome)
    if stored:  # one event per stored batch, in its transaction (docs/development/events-and-outbox.md)
        outbox.emit(session, events.RESPONSE_RECEIVED, {"response_ids": [outcome.ids[v.index] for v in stored]})
    counts = prepared.precounted
    if len(stored) < len(prepared.valid):  # rows counted ahead but not stored
        kept = {id(v) for v in stored}
        counts = counts - precount([v for v in prepared.valid if id(v) not in kept])
    counts.update(rollups.count_rows(scored_rows([v for v in stored if not v.staged]), dimensions=rollups.STAGE))
    in_segments = scored_rows(stored) if rollups.segments_in_use(session) else []
    rollups.record_rows(session, rows=in_segments, precounted=counts)
    return outcome


def _drop_repeated_keys(valid: list[ValidRow], outcome: Outcome) -> list[ValidRow]:
    """Within one batch the first item with a key wins; later ones are duplicates of it (ids filled in later)."""
    first: dict[Hashable, int] = {}
    kept: list[ValidRow] = []
    for v in valid:
        key = v.row[KEY]
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


def _forget_deleted_places(session: Session, valid: list[ValidRow]) -> bool:
    """Survey versions, touchpoints and stages the batch was validated against and that were deleted since it was
    prepared: a survey's refuses the batch (it no longer exists), a touchpoint or stage is cleared, as the
    deletion did to the responses stored before (then True)."""
    versions = references.missing(session, "survey_versions", {v.row[1] for v in valid})
    if versions:
        raise SurveyGone("a survey this batch answers was deleted while it was being stored; nothing was stored")
    touchpoints = references.missing(session, "touchpoints", {t for v in valid if (t := v.row[4]) is not None})
    stages = references.missing(session, "stages", {s for v in valid if (s := v.row[STAGE]) is not None})
    for v in valid:
        if v.row[4] in touchpoints:
            v.row[4] = None
        if v.row[STAGE] in stages:
            v.row[STAGE] = None
    return bool(touchpoints or stages)


def link_known_customers(session: Session, valid: list[ValidRow]) -> None:
    """Fill customer_id (and the stage when no touchpoint gave one) of the rows whose customer exists: the read-only
    half of linking, done while preparing (`_link_customers` checks it still holds)."""
    wanted = {v.customer for v in valid if v.customer is not None}
    if not wanted:
        return
    _fill(valid, queries.customers_by_external_id(session, wanted))


def _link_customers(session: Session, valid: list[ValidRow]) -> bool:
    """Link the rows not linked yet; unknown external ids become bare customers. When a customer linked while
    preparing was deleted since, every row is linked again (and True is returned)."""
    linked = {v.row[CUSTOMER] for v in valid if v.row[CUSTOMER] is not None}
    relinked = bool(references.missing(session, "customers", linked))
    if relinked:
        for v in valid:
            v.row[CUSTOMER] = None
            if v.customer_stage:
                v.row[STAGE], v.customer_stage = None, False
    wanted = {v.customer for v in valid if v.customer is not None and v.row[CUSTOMER] is None}
    if not wanted:
        return relinked
    known = queries.customers_by_external_id(session, wanted)
    unknown = sorted(wanted - known.keys())
    if unknown:
        created = customers.upsert_customers(session, items=[CustomerUpsert(external_id=e) for e in unknown])
        known.update({external_id: (cid, None) for external_id, cid in zip(unknown, created, strict=True)})
    _fill([v for v in valid if v.row[CUSTOMER] is None], known)
    return relinked


def _fill(valid: list[ValidRow], known: dict[str, tuple[int, int | None]]) -> None:
    for v in valid:
        if v.customer is None or (found := known.get(v.customer)) is None:
            continue
        customer_id, stage_id = found
        v.row[CUSTOMER] = customer_id
        if v.row[STAGE] is None and stage_id is not None:
            v.row[STAGE], v.customer_stage = stage_id, True
