"""Checking a rule against the FIELDS registry of its source (a 422 naming the condition and the reason) and
evaluating it on one item's facts. Pure functions; the segment members an item's customer belongs to are looked up
by the caller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cxloop.alerts.fields import FIELDS, OPERATORS, ConditionField, Kind, Op, RuleSource, Source, field_names
from cxloop.alerts.schemas import Condition
from cxloop.core.errors import FieldError

# segment key -> the ids of its members among the customers looked at; None for anomalies, where a segment condition
# names the segment the series is measured in
Members = Mapping[str, set[int]] | None


def condition_errors(
    conditions: Sequence[Condition], *, source: RuleSource = RuleSource.feedback, prefix: str = "conditions"
) -> list[FieldError]:
    """Every problem of every condition: unknown or unavailable field (or one of the other source's rules),
    operator, value of the wrong type or scale."""
    errors: list[FieldError] = []
    fields = FIELDS[source]
    for i, condition in enumerate(conditions):
        where = f"{prefix}[{i}]"
        spec = fields.get(condition.field)
        if spec is None:
            other = next((s for s in RuleSource if condition.field in FIELDS[s]), None)
            what = f"{condition.field!r} is a field of {other} rules, not of {source} rules" if other else None
            reason = f"{what or f'unknown field {condition.field!r}'}; known fields: {field_names(source)}"
            errors.append(FieldError(f"{where}.field", reason))
        elif spec.unavailable:
            errors.append(FieldError(f"{where}.field", f"field {spec.name!r} cannot be used yet: {spec.unavailable}"))
        elif condition.op not in OPERATORS[spec.kind]:
            allowed = ", ".join(sorted(o.value for o in OPERATORS[spec.kind]))
            errors.append(
                FieldError(f"{where}.op", f"{condition.op.value!r} does not apply to {spec.name}; use {allowed}")
            )
        else:
            problem = _value_problem(spec, condition)
            if problem:
                errors.append(FieldError(f"{where}.value", problem))
    return errors


def _value_problem(spec: ConditionField, condition: Condition) -> str | None:
    values: list[Any] = condition.value if isinstance(condition.value, list) else [condition.value]
    if (condition.op == Op.in_) != isinstance(condition.value, list):
        return "'in' takes a list of 1 to 100 values" if condition.op == Op.in_ else "a single value, not a list"
    if not 1 <= len(values) <= 100:
        return "'in' takes a list of 1 to 100 values"
    for value in values:
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if spec.kind == Kind.number:
            if not numeric:
                return f"{spec.name} is a number"
            if spec.low is not None and spec.high is not None and not spec.low <= value <= spec.high:
                scale = f"{spec.low:g}-{spec.high:g}" if spec.low >= 0 else f"{spec.low:g} to {spec.high:g}"
                return f"{spec.name} is on a {scale} scale; {value} is outside it"
        elif spec.kind == Kind.id:
            if not isinstance(value, int) or value < 1:
                return f"{spec.name} is an id (a whole number from 1)"
        elif not isinstance(value, str):
            return f"{spec.name} is text"
        elif spec.choices and value.casefold() not in spec.choices:
            return f"{spec.name} is one of {', '.join(spec.choices)}; {value[:50]!r} is not"
    return None


def needs_text(conditions: Sequence[Condition], source: RuleSource) -> bool:
    """Whether a condition reads the item's text analysis (sentiment, themes)."""
    return any(FIELDS[source][c.field].from_text for c in conditions)


def segment_keys(conditions: Sequence[Condition], source: RuleSource) -> set[str]:
    keys: set[str] = set()
    for c in conditions:
        if FIELDS[source][c.field].kind == Kind.segment:
            keys.update(str(v) for v in (c.value if isinstance(c.value, list) else [c.value]))
    return keys


def applies_to(conditions: Sequence[Condition], rule: RuleSource, item: Source) -> bool:
    """Whether an item of kind `item` can match a rule of source `rule` at all (every field exists on it)."""
    return all(item in FIELDS[rule][c.field].sources for c in conditions)


def matches(conditions: Sequence[Condition], source: RuleSource, facts: Mapping[str, Any], members: Members) -> bool:
    """Every condition holds; a missing value (no NPS answer, no account) never holds."""
    return all(_holds(c, FIELDS[source][c.field], facts, members) for c in conditions)


def _holds(condition: Condition, spec: ConditionField, facts: Mapping[str, Any], members: Members) -> bool:
    wanted: list[Any] = condition.value if isinstance(condition.value, list) else [condition.value]
    if spec.kind == Kind.segment and members is not None:
        customer = facts.get("customer_id")
        if customer is None:
            return False
        inside = any(customer in members.get(str(key), set()) for key in wanted)
        return not inside if condition.op == Op.ne else inside
    actual: Any = facts.get(spec.name)
    if actual is None:
        return False
    if isinstance(actual, list):  # several values (an item's themes): == and in ask whether one is wanted
        held = {str(a).casefold() for a in actual}
        wanted = [str(w).casefold() for w in wanted]
        inside = any(w in held for w in wanted)
        return not inside if condition.op == Op.ne else inside
    if spec.kind in (Kind.text, Kind.choice):
        actual = str(actual).casefold()
        wanted = [str(w).casefold() for w in wanted]
    match condition.op:
        case Op.le:
            return bool(actual <= wanted[0])
        case Op.ge:
            return bool(actual >= wanted[0])
        case Op.eq | Op.in_:
            return actual in wanted
        case Op.ne:
            return bool(actual != wanted[0])
        case Op.contains:
            return bool(wanted[0] in actual)
    return False
