"""The typed AST of the segment filter language, its canonical printer, and what a filter reads.

Pure (no database). Parsed by `segment_language`, compiled to SQL by `segment_sql`; docs/segments.md documents it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

KEYWORDS = frozenset({"and", "or", "not", "in", "contains", "is", "null", "true", "false", "today", "event"})
DAY_WORDS = frozenset({"day", "days"})
ORDERED_OPS = frozenset({"<", "<=", ">", ">="})
OPS = frozenset({"=", "!=", *ORDERED_OPS})
# A bare word: field names and unquoted text values (sign-up, en-GB, account.plan).
WORD = re.compile(r"[^\W\d][\w]*(?:[.\-]\w+)*")


class FieldType(StrEnum):
    """What a field holds, which decides the literals and operators it accepts."""

    text = "text"
    date = "date"
    number = "number"
    any = "any"  # an attribute: typed by the literal it is compared with


BUILTINS: dict[str, FieldType] = {
    "external_id": FieldType.text,
    "email": FieldType.text,
    "name": FieldType.text,
    "phone": FieldType.text,
    "locale": FieldType.text,
    "timezone": FieldType.text,
    "stage": FieldType.text,
    "signup_date": FieldType.date,
    "account": FieldType.text,
    "account.name": FieldType.text,
    "account.plan": FieldType.text,
    "account.owner": FieldType.text,
    "account.arr": FieldType.number,
    "account.renewal_date": FieldType.date,
    "churn_risk": FieldType.number,  # a score (SCORES)
}
# Per-customer scores a higher domain computes, read through customers/scores.py (wired at start-up).
SCORES = frozenset({"churn_risk"})
_RESERVED_NAMES = frozenset({*BUILTINS, "tenure", "tenure_days", "attributes", *KEYWORDS})
_ACCOUNT_RESERVED = frozenset({"name", "plan", "owner", "arr", "renewal_date", "attributes", "external_id"})


# Fields ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Builtin:
    name: str


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str


@dataclass(frozen=True, slots=True)
class AccountAttribute:
    name: str


@dataclass(frozen=True, slots=True)
class Tenure:
    """Whole days since the customer's signup_date (UTC today)."""


@dataclass(frozen=True, slots=True)
class EventCount:
    """How many events named `event` the customer has, in the last `days` days or ever (None)."""

    event: str
    days: int | None


Field = Builtin | Attribute | AccountAttribute | Tenure | EventCount


# Values ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class Number:
    value: Decimal


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool


@dataclass(frozen=True, slots=True)
class DateValue:
    value: date


@dataclass(frozen=True, slots=True)
class Today:
    """UTC today shifted by `offset_days` (today - 30 days -> -30), resolved when the filter runs."""

    offset_days: int = 0


Value = Text | Number | Boolean | DateValue | Today


# Conditions -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Comparison:
    field: Field
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class InList:
    field: Field
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Contains:
    field: Field
    value: Value
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull:
    field: Field
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = Comparison | InList | Contains | IsNull | Not | And | Or


def field_type(field: Field) -> FieldType:
    if isinstance(field, Builtin):
        return BUILTINS[field.name]
    if isinstance(field, Tenure | EventCount):
        return FieldType.number
    return FieldType.any


def and_(*operands: Node) -> Node:
    """A conjunction with nested conjunctions flattened (the parser's canonical shape)."""
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, And) else (operand,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(*operands: Node) -> Node:
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, Or) else (operand,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


# Printer --------------------------------------------------------------------------------------------------------
def format_filter(node: Node) -> str:
    """The canonical text of a filter: parsing it gives back the same AST."""
    return _format(node, 0)


def _format(node: Node, parent: int) -> str:
    if isinstance(node, Or):
        text = " or ".join(_format(child, 1) for child in node.operands)
        return f"({text})" if parent > 1 else text
    if isinstance(node, And):
        text = " and ".join(_format(child, 2) for child in node.operands)
        return f"({text})" if parent > 2 else text
    if isinstance(node, Not):
        return f"not {_format(node.operand, 3)}"
    field = format_field(node.field)
    if isinstance(node, Comparison):
        return f"{field} {node.op} {format_value(node.value, tenure=isinstance(node.field, Tenure))}"
    if isinstance(node, InList):
        values = ", ".join(format_value(v, tenure=isinstance(node.field, Tenure)) for v in node.values)
        return f"{field} {'not in' if node.negated else 'in'} ({values})"
    if isinstance(node, Contains):
        return f"{field} {'not contains' if node.negated else 'contains'} {format_value(node.value)}"
    return f"{field} is {'not null' if node.negated else 'null'}"


def format_field(field: Field) -> str:
    if isinstance(field, Builtin):
        return field.name
    if isinstance(field, Tenure):
        return "tenure"
    if isinstance(field, EventCount):
        name = _format_text(field.event)
        return f"event({name}, {field.days} days)" if field.days is not None else f"event({name})"
    if isinstance(field, AccountAttribute):
        reserved = field.name in _ACCOUNT_RESERVED or field.name.lower() in KEYWORDS
        return f"account.attributes.{field.name}" if reserved else f"account.{field.name}"
    reserved = field.name in _RESERVED_NAMES or field.name.lower() in KEYWORDS
    return f"attributes.{field.name}" if reserved else field.name


def format_value(value: Value, *, tenure: bool = False) -> str:
    if isinstance(value, Text):
        return _format_text(value.value)
    if isinstance(value, Number):
        return format_number(value.value) + (" days" if tenure else "")
    if isinstance(value, Boolean):
        return "true" if value.value else "false"
    if isinstance(value, DateValue):
        return value.value.isoformat()
    if value.offset_days == 0:
        return "today"
    return f"today {'+' if value.offset_days > 0 else '-'} {abs(value.offset_days)} days"


def _format_text(text: str) -> str:
    if WORD.fullmatch(text) and text.lower() not in KEYWORDS and text.lower() not in DAY_WORDS:
        return text
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def format_number(value: Decimal) -> str:
    text = format(value, "f")
    return "-" + text.lstrip("-") if value < 0 else text.lstrip("-")


# What a filter reads --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FilterTraits:
    """What a parsed filter depends on, so membership is refreshed when (and only when) that changes."""

    fields: tuple[str, ...]
    uses_events: bool
    uses_accounts: bool
    time_dependent: bool


def describe_filter(node: Node) -> FilterTraits:
    fields: set[str] = set()
    state = {"events": False, "accounts": False, "time": False}

    def visit(item: Node) -> None:
        if isinstance(item, And | Or):
            for child in item.operands:
                visit(child)
            return
        if isinstance(item, Not):
            visit(item.operand)
            return
        field = item.field
        fields.add(format_field(field) if not isinstance(field, EventCount) else f"event({field.event})")
        if isinstance(field, EventCount):
            state["events"] = True
            state["time"] = state["time"] or field.days is not None
        if isinstance(field, Tenure):
            state["time"] = True
        if isinstance(field, AccountAttribute) or (isinstance(field, Builtin) and field.name.startswith("account")):
            state["accounts"] = True
        values = (
            item.values
            if isinstance(item, InList)
            else (item.value,)
            if isinstance(item, Comparison | Contains)
            else ()
        )
        if any(isinstance(v, Today) for v in values):
            state["time"] = True

    visit(node)
    return FilterTraits(tuple(sorted(fields)), state["events"], state["accounts"], state["time"])
