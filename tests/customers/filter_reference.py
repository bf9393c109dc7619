"""A plain-Python evaluation of a segment filter AST over in-memory customers: the meaning the SQL must match."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cxloop.customers.segment_ast import (
    AccountAttribute,
    And,
    Attribute,
    Boolean,
    Builtin,
    Comparison,
    Contains,
    DateValue,
    EventCount,
    InList,
    IsNull,
    Node,
    Not,
    Number,
    Or,
    Tenure,
    Text,
    Today,
    Value,
)

MISSING = object()
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass
class Person:
    """Everything a filter can read about one customer."""

    id: int
    columns: dict[str, Any]  # external_id, email, name, phone, locale, timezone, signup_date, stage
    attributes: dict[str, Any]
    account: dict[str, Any] | None = None  # external_id, name, plan, owner, arr, renewal_date, attributes
    events: list[tuple[str, datetime]] = field(default_factory=list)


def matches(node: Node, person: Person, now: datetime) -> bool:
    if isinstance(node, And):
        return all(matches(child, person, now) for child in node.operands)
    if isinstance(node, Or):
        return any(matches(child, person, now) for child in node.operands)
    if isinstance(node, Not):
        return not matches(node.operand, person, now)
    field_ = node.field
    if isinstance(field_, Attribute):
        return _json(node, person.attributes.get(field_.name, MISSING), now)
    if isinstance(field_, AccountAttribute):
        raw = person.account["attributes"].get(field_.name, MISSING) if person.account else MISSING
        return _json(node, raw, now)
    return _scalar(node, _value_of(field_, person, now), now)


def _value_of(field_: Any, person: Person, now: datetime) -> Any:
    if isinstance(field_, Tenure):
        signup = person.columns.get("signup_date")
        return None if signup is None else Decimal((now.date() - signup).days)
    if isinstance(field_, EventCount):
        since = now - timedelta(days=field_.days) if field_.days is not None else None
        return Decimal(sum(1 for name, at in person.events if name == field_.event and (since is None or at >= since)))
    assert isinstance(field_, Builtin)
    if field_.name.startswith("account"):
        if person.account is None:
            return None
        key = "external_id" if field_.name == "account" else field_.name.split(".", 1)[1]
        return person.account.get(key)
    return person.columns.get(field_.name)


def _literal(value: Value, now: datetime) -> Any:
    if isinstance(value, Text | Boolean | DateValue):
        return value.value
    if isinstance(value, Number):
        return value.value
    assert isinstance(value, Today)
    return now.date() + timedelta(days=value.offset_days)


def _scalar(node: Comparison | InList | Contains | IsNull, value: Any, now: datetime) -> bool:
    if isinstance(node, IsNull):
        return (value is None) != node.negated
    if isinstance(node, Contains):
        found = value is not None and str(_literal(node.value, now)) in value
        return found != node.negated
    if isinstance(node, InList):
        found = value is not None and any(value == _literal(v, now) for v in node.values)
        return found != node.negated
    literal = _literal(node.value, now)
    if node.op == "!=":
        return not (value is not None and value == literal)
    return value is not None and _OPS[node.op](value, literal)


def _kind(raw: Any) -> str:
    if raw is MISSING:
        return "missing"
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, int | float):
        return "number"
    if isinstance(raw, str):
        return "string"
    return "array"


def _json(node: Comparison | InList | Contains | IsNull, raw: Any, now: datetime) -> bool:
    kind = _kind(raw)
    if isinstance(node, IsNull):
        return (kind in ("missing", "null")) != node.negated
    if isinstance(node, Contains):
        value = node.value
        if isinstance(value, Number):
            found = kind == "array" and any(_kind(e) == "number" and float(e) == float(value.value) for e in raw)
        else:
            assert isinstance(value, Text)
            found = (kind == "string" and value.value in raw) or (
                kind == "array" and any(_kind(e) == "string" and e == value.value for e in raw)
            )
        return found != node.negated
    if isinstance(node, InList):
        return any(_json_equals(raw, kind, v, now) for v in node.values) != node.negated
    if node.op == "!=":
        return not _json_equals(raw, kind, node.value, now)
    if node.op == "=":
        return _json_equals(raw, kind, node.value, now)
    if isinstance(node.value, Number):
        return kind == "number" and _OPS[node.op](float(raw), float(node.value.value))
    iso = _literal(node.value, now).isoformat()
    return kind == "string" and _OPS[node.op](raw, iso)


def _json_equals(raw: Any, kind: str, value: Value, now: datetime) -> bool:
    if isinstance(value, Text):
        return kind == "string" and raw == value.value
    if isinstance(value, Number):
        return kind == "number" and float(raw) == float(value.value)
    if isinstance(value, Boolean):
        return kind == "boolean" and raw is value.value
    literal = _literal(value, now)
    assert isinstance(literal, date)
    return kind == "string" and raw == literal.isoformat()
