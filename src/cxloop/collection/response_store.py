"""The writing half of a response batch: one transaction that re-checks what the batch points at, links customers,
inserts the rows in bulk and tells the `responses_stored` hook (response_intake.py validates; response_batch.py
carries)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import cast

from sqlalchemy.orm import Session

from cxloop.collection import hooks, queries
from cxloop.collection.errors import SurveyGone
from cxloop.collection.response_batch import Outcome, Prepared, ValidRow
from cxloop.collection.rows import COLUMNS, ResponseRow
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.jobs import events, outbox
from cxloop.storage import bulk_insert, references


def store_responses(session: Session, prepared: Prepared, *, atomic: bool) -> Outcome:
    """The one way responses are written (API single, coalesced and batch requests, file imports, other domains).

    `atomic`: when any item was rejected, store nothing (rejected items stored before are resends and count as
    duplicates); else store the valid rows and report the rejected ones in the outcome."""
    if atomic:
        replay_resends(session, prepared)
        if prepared.outcome.errors:
            return prepared.outcome
    return _store(session, prepared)


def _store(session: Session, prepared: Prepared) -> Outcome:
    """Insert the valid rows (a key repeated in the batch once), link customers, and tell the `responses_stored` hook.

    A key stored since the batch was prepared (by a concurrent writer, or by the previous batch of the same file)
    makes its row a duplicate."""
    outcome = prepared.outcome
    references.hold_parents_of(session, "responses")  # before checking that what the rows point at still exists
    valid = _drop_repeated_keys(prepared.valid, outcome)
    _forget_deleted_places(session, valid)
    _link_customers(session, valid)
    ids = bulk_insert.insert_rows(
        session,
        table="responses",
        columns=COLUMNS,
        rows=[v.row for v in valid],
        conflict=("idempotency_key",),
        key_of=lambda row: cast(ResponseRow, row).idempotency_key,
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
        existing = queries.response_ids_by_key(session, [v.row.idempotency_key for v in raced])
        for v in raced:
            outcome.ids[v.index] = existing[v.row.idempotency_key]
        outcome.duplicates += len(raced)
    _point_repeats(outcome)
    if stored:  # one event per stored batch, in its transaction (docs/development/events-and-outbox.md)
        outbox.emit(session, events.RESPONSE_RECEIVED, {"response_ids": [outcome.ids[v.index] for v in stored]})
    _tell_stored(session, prepared, stored)
    return outcome


def _tell_stored(session: Session, prepared: Prepared, stored: list[ValidRow]) -> None:
    """Call the `responses_stored` hook with the stored rows and how they differ from the prepared ones."""
    if not stored or not len(hooks.responses_stored):
        return
    restated = [v.view() for v in stored if v.before is not None]
    retracted = [v.before for v in stored if v.before is not None]
    if len(stored) < len(prepared.valid):  # rows prepared but not stored (repeated keys, raced)
        kept = {id(v) for v in stored}
        retracted += [v.before or v.view() for v in prepared.valid if id(v) not in kept]
    hooks.responses_stored(
        session,
        rows=lambda: [v.view() for v in stored],
        retracted=retracted,
        restated=restated,
        ahead=prepared.ahead,
    )


def replay_resends(session: Session, prepared: Prepared) -> None:
    """For a batch stored all or nothing (nothing at all when an item is rejected): rejected items that turn out to
    be stored already are resends, so they count as duplicates instead."""
    if prepared.outcome.errors and not prepared.looked_up:
        _replay_stored(session, prepared.outcome, prepared.error_keys)


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


def _drop_repeated_keys(valid: list[ValidRow], outcome: Outcome) -> list[ValidRow]:
    """Within one batch the first item with a key wins; later ones are duplicates of it (ids filled in later)."""
    first: dict[Hashable, int] = {}
    kept: list[ValidRow] = []
    for v in valid:
        key = v.row.idempotency_key
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


def _forget_deleted_places(session: Session, valid: list[ValidRow]) -> None:
    """Survey versions, touchpoints and stages the batch was validated against and that were deleted since it was
    prepared: a survey's refuses the batch (it no longer exists), a touchpoint or stage is cleared, as the
    deletion did to the responses stored before."""
    gone = references.missing_in(
        session,
        {
            "survey_versions": {v.row.survey_version_id for v in valid},
            "touchpoints": {t for v in valid if (t := v.row.touchpoint_id) is not None},
            "stages": {s for v in valid if (s := v.row.stage_id) is not None},
        },
    )
    if gone["survey_versions"]:
        raise SurveyGone("a survey this batch answers was deleted while it was being stored; nothing was stored")
    touchpoints, stages = gone["touchpoints"], gone["stages"]
    for v in valid:
        row = v.row
        if row.touchpoint_id in touchpoints or row.stage_id in stages:
            v.restate(
                row.placed(
                    None if row.touchpoint_id in touchpoints else row.touchpoint_id,
                    None if row.stage_id in stages else row.stage_id,
                )
            )


def link_known_customers(session: Session, valid: list[ValidRow]) -> None:
    """Fill customer_id (and the stage when no touchpoint gave one) of the rows whose customer exists: the read-only
    half of linking, done while preparing (`_link_customers` checks it still holds)."""
    wanted = {v.customer for v in valid if v.customer is not None}
    if not wanted:
        return
    _fill(valid, queries.customers_by_external_id(session, wanted), storing=False)


def _link_customers(session: Session, valid: list[ValidRow]) -> None:
    """Link the rows not linked yet; unknown external ids become bare customers. When a customer linked while
    preparing was deleted since, every row is linked again."""
    linked = {v.row.customer_id for v in valid if v.row.customer_id is not None}
    relinked = bool(references.missing(session, "customers", linked))
    if relinked:
        for v in valid:
            v.restate(v.row.linked(None, None if v.customer_stage else v.row.stage_id))
            v.customer_stage = False
    wanted = {v.customer for v in valid if v.customer is not None and v.row.customer_id is None}
    if not wanted:
        return
    known = queries.customers_by_external_id(session, wanted)
    unknown = sorted(wanted - known.keys())
    if unknown:
        created = customers.upsert_customers(session, items=[CustomerUpsert(external_id=e) for e in unknown])
        known.update({external_id: (cid, None) for external_id, cid in zip(unknown, created, strict=True)})
    _fill([v for v in valid if v.row.customer_id is None], known, storing=True)


def _fill(valid: list[ValidRow], known: dict[str, tuple[int, int | None]], *, storing: bool) -> None:
    """Link rows to known customers; `storing`: after the hooks saw the rows prepared (keep their view)."""
    for v in valid:
        if v.customer is None or (found := known.get(v.customer)) is None:
            continue
        customer_id, stage_id = found
        if v.row.stage_id is None and stage_id is not None:
            row = v.row.linked(customer_id, stage_id)
            if storing:
                v.restate(row)
            else:
                v.row = row
            v.customer_stage = True
        else:
            v.row = v.row.linked(customer_id, v.row.stage_id)
