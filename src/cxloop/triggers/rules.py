"""Pure logic of trigger rules: property conditions, anchors, occurrence dates and keys, and the invitation an
occurrence asks for. No database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from cxloop.invitations.service import InviteRequest
from cxloop.triggers.enums import ConditionOp
from cxloop.triggers.models import TriggerRule

SIGNUP = "signup_date"
RENEWAL = "account_renewal_date"
FIRST_EVENT = "first_event:"
_MISSING = object()


def anchor_error(anchor: str) -> str | None:
    """Why an anchor is not valid, or None."""
    if anchor in (SIGNUP, RENEWAL):
        return None
    if anchor.startswith(FIRST_EVENT) and anchor[len(FIRST_EVENT) :].strip():
        return None
    return f"must be '{SIGNUP}', '{RENEWAL}' or '{FIRST_EVENT}<event name>'"


def first_event_name(anchor: str) -> str | None:
    """The event name of a `first_event:<name>` anchor."""
    return anchor[len(FIRST_EVENT) :] if anchor.startswith(FIRST_EVENT) else None


def _lookup(properties: Mapping[str, Any], path: str) -> Any:
    """A property by dotted path ('ticket.wait_minutes'); _MISSING when absent."""
    value: Any = properties
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _compare(op: ConditionOp, actual: Any, expected: Any) -> bool:
    try:
        match op:
            case ConditionOp.eq:
                return bool(actual == expected)
            case ConditionOp.ne:
                return bool(actual != expected)
            case ConditionOp.gt:
                return bool(actual > expected)
            case ConditionOp.ge:
                return bool(actual >= expected)
            case ConditionOp.lt:
                return bool(actual < expected)
            case ConditionOp.le:
                return bool(actual <= expected)
            case ConditionOp.is_in:
                return actual in expected
            case ConditionOp.not_in:
                return actual not in expected
            case ConditionOp.exists:
                return True
    except TypeError:  # "abc" > 30: a property of another type than the rule expects does not match
        return False
    return False


def conditions_hold(conditions: Sequence[Mapping[str, Any]], properties: Mapping[str, Any]) -> bool:
    """Whether every condition holds for an event's properties. A missing property fails every condition but
    `exists` with value false."""
    for condition in conditions:
        op = ConditionOp(condition["op"])
        actual = _lookup(properties, condition["property"])
        if op == ConditionOp.exists:
            wanted = condition.get("value")  # stored as null when the rule left it out: true, as documented
            if (actual is not _MISSING) != (True if wanted is None else bool(wanted)):
                return False
            continue
        expected = condition.get("value")
        if actual is _MISSING:
            return False
        # True == 1 in Python: a rule comparing with a number must not match a boolean, nor the reverse.
        if op not in (ConditionOp.is_in, ConditionOp.not_in) and isinstance(actual, bool) != isinstance(expected, bool):
            return False
        if not _compare(op, actual, expected):
            return False
    return True


def latest_occurrence(
    anchor: date, *, offset_days: int, repeat_days: int | None, first: date, last: date
) -> date | None:
    """The latest occurrence date in [first, last]: anchor + offset, then every repeat_days when set."""
    start = anchor + timedelta(days=offset_days)
    if start > last:
        return None
    if not repeat_days:
        return start if start >= first else None
    steps = (last - start).days // repeat_days
    found = start + timedelta(days=steps * repeat_days)
    return found if found >= first else None


def anchor_ranges(
    *, offset_days: int, repeat_days: int | None, first: date, last: date, oldest: date
) -> list[tuple[date, date]]:
    """Closed ranges of anchor dates that have an occurrence in [first, last] (merged, oldest last).

    For SQL: `anchor BETWEEN lo AND hi` over these ranges selects exactly the candidates, with no date arithmetic in
    the database (whose syntax differs between SQLite and PostgreSQL)."""
    ranges: list[tuple[date, date]] = []
    shift = 0
    while True:
        lo = first - timedelta(days=offset_days + shift)
        hi = last - timedelta(days=offset_days + shift)
        if hi < oldest:
            break
        if ranges and ranges[-1][0] <= hi + timedelta(days=1):
            ranges[-1] = (lo, ranges[-1][1])  # overlapping windows (window longer than the repeat): merge
        else:
            ranges.append((lo, hi))
        if not repeat_days:
            break
        shift += repeat_days
    return ranges


def occurrence_key_for_event(rule_id: int, event_id: int) -> str:
    return f"rule:{rule_id}:event:{event_id}"


def occurrence_key_for_date(rule_id: int, customer_id: int, due: date) -> str:
    return f"rule:{rule_id}:customer:{customer_id}:{due.isoformat()}"


def invite_request(
    rule: TriggerRule, *, customer_id: int, occurrence_key: str, at: datetime | None = None
) -> InviteRequest:
    """What one occurrence of a rule asks the invitations domain for."""
    return InviteRequest(
        survey_id=rule.survey_id,
        customer_id=customer_id,
        channel=rule.channel,
        fallbacks=tuple(rule.fallbacks or ()),
        touchpoint_id=rule.touchpoint_id,
        rule_id=rule.id,
        occurrence_key=occurrence_key,
        at=at,
    )
