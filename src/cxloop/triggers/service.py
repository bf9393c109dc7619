"""Trigger rules: create, read, change, delete, each checked against the surveys, segments and touchpoints it names.

Evaluating rules lives beside this module: `event_rules` (events as they are stored), `time_rules` (the periodic date
sweep) and `sending` (scheduled invitations out through their channel, reminders).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.customers import service as customers
from cxloop.journeys import service as journeys
from cxloop.journeys.errors import TouchpointNotFound
from cxloop.surveys import service as surveys
from cxloop.triggers import rules
from cxloop.triggers.enums import TriggerKind
from cxloop.triggers.errors import TriggerRuleKeyTaken, TriggerRuleNotFound
from cxloop.triggers.models import TriggerRule
from cxloop.triggers.schemas import SENDABLE, TriggerRuleCreate, TriggerRuleRead, TriggerRuleUpdate

_EVENT_ONLY = ("event_name", "conditions", "delay_seconds")
_TIME_ONLY = ("anchor", "offset_days", "repeat_days")


def create_rule(session: Session, *, data: TriggerRuleCreate, now: datetime | None = None) -> TriggerRule:
    """Store a new rule (422 naming each bad field, 409 when the key is taken)."""
    if session.scalar(select(TriggerRule.id).where(TriggerRule.key == data.key)) is not None:
        raise TriggerRuleKeyTaken(f"a trigger rule with key '{data.key}' exists already")
    now = now or utcnow()
    rule = TriggerRule(
        key=data.key,
        name=data.name,
        kind=data.kind.value,
        enabled=True if data.enabled is None else data.enabled,
        survey_id=data.survey_id,
        channel=data.channel.value,
        fallbacks=[c.value for c in data.fallbacks or []],
        touchpoint_id=data.touchpoint_id,
        segment_id=data.segment_id,
        event_name=data.event_name,
        conditions=[c.model_dump(mode="json") for c in data.conditions or []],
        delay_seconds=data.delay_seconds or 0,
        anchor=data.anchor,
        offset_days=data.offset_days,
        repeat_days=data.repeat_days,
        created_at=now,
        updated_at=now,
    )
    _check(session, rule)
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: Session, *, rule_id: int, data: TriggerRuleUpdate, now: datetime | None = None) -> TriggerRule:
    """Change the fields sent; the result is checked as a whole, like a new rule."""
    rule = require_rule(session, rule_id=rule_id)
    sent = data.model_fields_set
    if "channel" in sent and data.channel is not None:
        rule.channel = data.channel.value
    if "fallbacks" in sent:
        rule.fallbacks = [c.value for c in data.fallbacks or []]
    for name in ("name", "enabled", "survey_id", "event_name", "delay_seconds", "anchor", "offset_days"):
        value = getattr(data, name)
        if name in sent and value is not None:
            setattr(rule, name, value)
    for name in ("touchpoint_id", "segment_id", "repeat_days"):  # nullable: null clears
        if name in sent:
            setattr(rule, name, getattr(data, name))
    if "conditions" in sent:
        rule.conditions = [c.model_dump(mode="json") for c in data.conditions or []]
    with session.no_autoflush:  # the check's lookups must not write the unchecked rule first (a missing segment)
        _check(session, rule)
    rule.updated_at = now or utcnow()
    session.flush()
    return rule


def _check(session: Session, rule: TriggerRule) -> None:
    errors: list[FieldError] = []
    if surveys.get_survey(session, survey_id=rule.survey_id) is None:
        errors.append(FieldError("survey_id", f"no survey with id {rule.survey_id}"))
    if rule.segment_id is not None and customers.get_segment(session, segment_id=rule.segment_id) is None:
        errors.append(FieldError("segment_id", f"no segment with id {rule.segment_id}"))
    if rule.touchpoint_id is not None:
        try:
            journeys.require_touchpoint(session, touchpoint_id=rule.touchpoint_id)
        except TouchpointNotFound:
            errors.append(FieldError("touchpoint_id", f"no touchpoint with id {rule.touchpoint_id}"))
    channel, fallbacks = rule.channel, list(rule.fallbacks or [])
    sendable = [c.value for c in SENDABLE]
    if channel not in sendable:
        errors.append(FieldError("channel", f"a trigger sends its invitation: use one of {', '.join(sendable)}"))
    for index, fallback in enumerate(fallbacks):
        if fallback not in sendable or fallback == channel or fallback in fallbacks[:index]:
            errors.append(FieldError(f"fallbacks.{index}", "a fallback is another sendable channel, named once"))
    if rule.kind == TriggerKind.event.value:
        if not rule.event_name:
            errors.append(FieldError("event_name", "an event rule needs the name of the event that sets it off"))
        errors += [FieldError(name, "only time rules have this field") for name in _TIME_ONLY if getattr(rule, name)]
    else:
        if not rule.anchor:
            errors.append(FieldError("anchor", "a time rule needs an anchor date, e.g. 'signup_date'"))
        elif (problem := rules.anchor_error(rule.anchor)) is not None:
            errors.append(FieldError("anchor", problem))
        if rule.offset_days is None:
            errors.append(
                FieldError("offset_days", "a time rule needs the days after (or, negative, before) the anchor")
            )
        errors += [FieldError(name, "only event rules have this field") for name in _EVENT_ONLY if getattr(rule, name)]
    if errors:
        raise InvalidInput("the trigger rule is not valid", errors=errors)


def get_rule(session: Session, *, rule_id: int) -> TriggerRule | None:
    return session.get(TriggerRule, rule_id)


def require_rule(session: Session, *, rule_id: int) -> TriggerRule:
    """The rule, or TriggerRuleNotFound (404)."""
    rule = get_rule(session, rule_id=rule_id)
    if rule is None:
        raise TriggerRuleNotFound(f"no trigger rule with id {rule_id}")
    return rule


def list_rules(
    session: Session, *, kind: TriggerKind | None = None, enabled: bool | None = None
) -> Sequence[TriggerRule]:
    """Rules by id, optionally of one kind or enabled state."""
    query = select(TriggerRule).order_by(TriggerRule.id)
    if kind is not None:
        query = query.where(TriggerRule.kind == kind.value)
    if enabled is not None:
        query = query.where(TriggerRule.enabled == enabled)
    return session.scalars(query).all()


def delete_rule(session: Session, *, rule_id: int) -> None:
    """Delete a rule; its invitations stay (their rule_id is cleared)."""
    session.delete(require_rule(session, rule_id=rule_id))
    session.flush()


def rule_read(rule: TriggerRule) -> TriggerRuleRead:
    return TriggerRuleRead(
        id=rule.id,
        key=rule.key,
        name=rule.name,
        kind=TriggerKind(rule.kind),
        enabled=rule.enabled,
        survey_id=rule.survey_id,
        channel=rule.channel,
        fallbacks=list(rule.fallbacks or []),
        touchpoint_id=rule.touchpoint_id,
        segment_id=rule.segment_id,
        event_name=rule.event_name,
        conditions=list(rule.conditions or []),
        delay_seconds=rule.delay_seconds,
        anchor=rule.anchor,
        offset_days=rule.offset_days,
        repeat_days=rule.repeat_days,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )
