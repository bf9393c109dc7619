"""Event rules: "when event E (whose properties match) happens for a customer in segment S, invite them".

When a batch of events is stored, `on_events_stored` (registered with customers.event_listeners by cxloop.wiring)
checks in the same transaction whether any enabled rule listens for these names, and if so queues
`triggers.evaluate_events` with the event ids once the transaction commits. The worker runs `evaluate_events`;
`catch_up` (periodic) evaluates the recent events again, so events stored while the queue could not be reached, or
by a process that died between its commit and the enqueue, are still acted on. Evaluating an event twice is
harmless: each (rule, event) pair is one occurrence key, so it yields at most one invitation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.invitations import service as invitations
from cxloop.invitations.schemas import InvitationRead
from cxloop.jobs import dispatch
from cxloop.triggers import queries, rules
from cxloop.triggers.enums import TriggerKind
from cxloop.triggers.models import TriggerRule
from cxloop.triggers.queries import StoredEvent

EVALUATE_JOB = "triggers.evaluate_events"
# An event reported this long after it happened (an import of history, a replayed log) sets off no rule:
# nobody should get "how was your support?" about a ticket from last year.
STALE_AFTER = timedelta(days=1)
# How far back the periodic catch-up looks: longer than any outage of the queue we expect to ride out.
CATCH_UP_LOOKBACK = timedelta(days=1)
_JOB_BATCH = 1000


def _rules_for(session: Session, names: Sequence[str] | frozenset[str] | None) -> dict[str, list[TriggerRule]]:
    query = select(TriggerRule).where(TriggerRule.kind == TriggerKind.event.value, TriggerRule.enabled.is_(True))
    if names is not None:
        query = query.where(TriggerRule.event_name.in_(sorted(names)))
    by_name: dict[str, list[TriggerRule]] = defaultdict(list)
    for rule in session.scalars(query.order_by(TriggerRule.id)):
        by_name[rule.event_name or ""].append(rule)
    return by_name


def on_events_stored(session: Session, *, event_ids: Sequence[int], names: frozenset[str]) -> None:
    """Queue the evaluation of freshly stored events when some enabled rule listens for one of their names."""
    if not _rules_for(session, names):
        return
    ids = sorted(event_ids)
    for start in range(0, len(ids), _JOB_BATCH):
        dispatch.after_commit(session, EVALUATE_JOB, {"event_ids": ids[start : start + _JOB_BATCH]})


def evaluate_events(session: Session, *, event_ids: Sequence[int], now: datetime | None = None) -> list[InvitationRead]:
    """Invite for every (rule, event) pair that matches; returns the invitations this call created."""
    events = queries.events_by_id(session, event_ids)
    if not events:
        return []
    return _evaluate(session, _rules_for(session, frozenset(e.name for e in events)), events, now or utcnow())


def catch_up(session: Session, *, now: datetime | None = None) -> list[InvitationRead]:
    """Evaluate every event of the last CATCH_UP_LOOKBACK again (the safety net behind the queue)."""
    now = now or utcnow()
    by_name = _rules_for(session, None)
    if not by_name:
        return []
    events = queries.recent_events(session, names=by_name.keys(), since=now - CATCH_UP_LOOKBACK)
    return _evaluate(session, by_name, events, now)


def _evaluate(
    session: Session, by_name: dict[str, list[TriggerRule]], events: Sequence[StoredEvent], now: datetime
) -> list[InvitationRead]:
    matches: list[tuple[TriggerRule, StoredEvent]] = [
        (rule, event)
        for event in events
        if event.occurred_at >= event.received_at - STALE_AFTER
        for rule in by_name.get(event.name, [])
        if rules.conditions_hold(rule.conditions or [], event.properties)
    ]
    segmented = {(r.segment_id, e.customer_id) for r, e in matches if r.segment_id is not None}
    inside = queries.members(session, segmented)
    matches = [(r, e) for r, e in matches if r.segment_id is None or (r.segment_id, e.customer_id) in inside]
    done = queries.existing_occurrences(session, (rules.occurrence_key_for_event(r.id, e.id) for r, e in matches))
    created: list[InvitationRead] = []
    for rule, event in matches:
        key = rules.occurrence_key_for_event(rule.id, event.id)
        if key in done:
            continue
        at = max(now, event.occurred_at + timedelta(seconds=rule.delay_seconds))
        request = rules.invite_request(rule, customer_id=event.customer_id, occurrence_key=key, at=at)
        invitation = invitations.invite(session, request, now=now)
        if invitation.created_at == now:
            created.append(InvitationRead.model_validate(invitation))
    return created
