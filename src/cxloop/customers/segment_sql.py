"""Compile a segment filter AST into one SQLAlchemy boolean over `customers`, with the same answers on SQLite and
PostgreSQL.

Read-side SQL: it joins the journeys' `stages` table (the queries.py exception in STYLE.md); scores computed by
higher domains (`churn_risk`) come from customers/scores.py, provided at start-up. Every condition is
two-valued: a comparison with a missing value or a value of another type is false, `!=`/`not in`/`not contains` are
exactly `not (...)` of their positive form, and `not` therefore never loses rows to SQL NULL logic.
JSON attributes are read through the small dialect-specific elements below (`json_type`/`json_extract` on SQLite,
`jsonb_typeof`/`->>` on PostgreSQL), each guarded by the value's JSON type so a cast never fails.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean as SaBoolean
from sqlalchemy import (
    Float,
    SQLColumnExpression,
    String,
    and_,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from cxloop.customers import scores
from cxloop.customers.models import Account, Customer, Event
from cxloop.customers.segment_ast import (
    SCORES,
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
    Value,
)
from cxloop.journeys import queries as journey_queries

Predicate = ColumnElement[bool]


# Dialect-specific JSON and text elements ------------------------------------------------------------------------
class _JsonElement(FunctionElement[Any]):
    """(document column, attribute name). The name is an identifier checked by the parser, so it is rendered inline."""

    inherit_cache = True

    def __init__(self, document: Any, key: str) -> None:
        super().__init__(document, literal_column(key))


class json_kind(_JsonElement):  # noqa: N801 - reads like the SQL function it renders
    """'string', 'number', 'boolean', 'array', 'object', 'null', or NULL when the attribute is absent."""

    type = String()
    name = "json_kind"
    inherit_cache = True


class json_text(_JsonElement):  # noqa: N801
    """The attribute when it is JSON text, else NULL (binary collation, so ordering is the same everywhere)."""

    type = String()
    name = "json_text"
    inherit_cache = True


class json_number(_JsonElement):  # noqa: N801
    type = Float()
    name = "json_number"
    inherit_cache = True


class json_bool(_JsonElement):  # noqa: N801
    type = SaBoolean()
    name = "json_bool"
    inherit_cache = True


class json_array_has(FunctionElement[bool]):  # noqa: N801
    """True when the attribute is a JSON list holding `value` (text or number, by `value`'s SQL type)."""

    type = SaBoolean()
    name = "json_array_has"
    inherit_cache = True

    def __init__(self, document: Any, key: str, value: Any) -> None:
        super().__init__(document, literal_column(key), value)


class text_position(FunctionElement[int]):  # noqa: N801
    """1-based position of `needle` in `haystack`, 0 when absent, case-sensitive on both databases."""

    name = "text_position"
    inherit_cache = True


def _parts(element: FunctionElement[Any], compiler: SQLCompiler, kw: Any) -> tuple[str, str, list[str]]:
    clauses = list(element.clauses)
    document = compiler.process(clauses[0], **kw)
    key = clauses[1].name
    rest = [compiler.process(c, **kw) for c in clauses[2:]]
    return document, key, rest


_SQLITE_KIND = (
    "CASE json_type({d}, '$.\"{k}\"') WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' "
    "WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' "
    "ELSE json_type({d}, '$.\"{k}\"') END"
)


@compiles(json_kind, "sqlite")
def _kind_sqlite(element: json_kind, compiler: SQLCompiler, **kw: Any) -> str:
    d, k, _ = _parts(element, compiler, kw)
    return _SQLITE_KIND.format(d=d, k=k)


@compiles(json_kind, "postgresql")
def _kind_pg(element: json_kind, compiler: SQLCompiler, **kw: Any) -> str:
    d, k, _ = _parts(element, compiler, kw)
    return f"jsonb_typeof({d} -> '{k}')"


def _sqlite_typed(types: str) -> Any:
    def render(element: _JsonElement, compiler: SQLCompiler, **kw: Any) -> str:
        d, k, _ = _parts(element, compiler, kw)
        path = f"'$.\"{k}\"'"
        return f"(CASE WHEN json_type({d}, {path}) IN ({types}) THEN json_extract({d}, {path}) END)"

    return render


compiles(json_text, "sqlite")(_sqlite_typed("'text'"))
compiles(json_number, "sqlite")(_sqlite_typed("'integer', 'real'"))
compiles(json_bool, "sqlite")(_sqlite_typed("'true', 'false'"))


@compiles(json_text, "postgresql")
def _text_pg(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    d, k, _ = _parts(element, compiler, kw)
    return f"(CASE WHEN jsonb_typeof({d} -> '{k}') = 'string' THEN {d} ->> '{k}' END) COLLATE \"C\""


@compiles(json_number, "postgresql")
def _number_pg(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    d, k, _ = _parts(element, compiler, kw)
    return f"(CASE WHEN jsonb_typeof({d} -> '{k}') = 'number' THEN CAST({d} ->> '{k}' AS DOUBLE PRECISION) END)"


@compiles(json_bool, "postgresql")
def _bool_pg(element: json_bool, compiler: SQLCompiler, **kw: Any) -> str:
    d, k, _ = _parts(element, compiler, kw)
    return f"(CASE WHEN jsonb_typeof({d} -> '{k}') = 'boolean' THEN CAST({d} ->> '{k}' AS BOOLEAN) END)"


@compiles(json_array_has, "sqlite")
def _array_has_sqlite(element: json_array_has, compiler: SQLCompiler, **kw: Any) -> str:
    d, k, (value,) = _parts(element, compiler, kw)
    numeric = isinstance(list(element.clauses)[2].type, Float)
    types = "'integer', 'real'" if numeric else "'text'"
    path = f"'$.\"{k}\"'"
    return (
        f"(json_type({d}, {path}) = 'array' AND EXISTS (SELECT 1 FROM json_each({d}, {path}) AS je "
        f"WHERE je.type IN ({types}) AND je.value = {value}))"
    )


@compiles(json_array_has, "postgresql")
def _array_has_pg(element: json_array_has, compiler: SQLCompiler, **kw: Any) -> str:
    d, k, (value,) = _parts(element, compiler, kw)
    cast = "DOUBLE PRECISION" if isinstance(list(element.clauses)[2].type, Float) else "TEXT"
    return (
        f"(CASE WHEN jsonb_typeof({d} -> '{k}') = 'array' "
        f"THEN ({d} -> '{k}') @> jsonb_build_array(CAST({value} AS {cast})) ELSE false END)"
    )


@compiles(text_position, "sqlite")
def _position_sqlite(element: text_position, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"instr({haystack}, {needle})"


@compiles(text_position, "postgresql")
def _position_pg(element: text_position, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"strpos({haystack}, {needle})"


# Compilation ----------------------------------------------------------------------------------------------------
def compile_filter(node: Node, *, now: datetime) -> Predicate:
    """A WHERE clause over `customers` selecting exactly the customers the filter matches at instant `now` (UTC)."""
    return _Compiler(now).node(node)


def _truth(expr: ColumnElement[Any]) -> Predicate:
    """NULL (a missing value) counts as false, so every condition is two-valued."""
    return func.coalesce(expr, false(), type_=SaBoolean())


_CUSTOMER_COLUMNS = {
    "external_id": Customer.external_id,
    "email": Customer.email,
    "name": Customer.name,
    "phone": Customer.phone,
    "locale": Customer.locale,
    "timezone": Customer.timezone,
    "signup_date": Customer.signup_date,
}
_ACCOUNT_COLUMNS = {
    "account": Account.external_id,
    "account.name": Account.name,
    "account.plan": Account.plan,
    "account.owner": Account.owner,
    "account.arr": Account.arr,
    "account.renewal_date": Account.renewal_date,
}


class _Compiler:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.today = now.date()

    def node(self, node: Node) -> Predicate:
        if isinstance(node, And):
            return and_(*(self.node(child) for child in node.operands))
        if isinstance(node, Or):
            return or_(*(self.node(child) for child in node.operands))
        if isinstance(node, Not):
            return not_(self.node(node.operand))
        positive, negate = self.condition(node)
        return not_(positive) if negate else positive

    def condition(self, node: Comparison | InList | Contains | IsNull) -> tuple[Predicate, bool]:
        """The two-valued positive form of a condition, and whether the condition is its negation."""
        field = node.field
        if isinstance(field, Tenure):
            return self.tenure(node)
        if isinstance(field, Attribute):
            return self.json_condition(Customer.attributes, field.name, node)
        if isinstance(field, AccountAttribute):
            inner, negate = self.json_condition(Account.attributes, field.name, node)
            return self.on_account(inner), negate
        if isinstance(field, EventCount):
            return self.column_condition(self.event_count(field), node)
        assert isinstance(field, Builtin)
        if field.name in _CUSTOMER_COLUMNS:
            return self.column_condition(_CUSTOMER_COLUMNS[field.name], node)
        if field.name in SCORES:
            return self.column_condition(scores.column(field.name, Customer.id), node)
        if field.name == "stage":
            inner, negate = self.column_condition(journey_queries.STAGE_KEY, node)
            return journey_queries.stage_where(Customer.stage_id, inner), negate
        inner, negate = self.column_condition(_ACCOUNT_COLUMNS[field.name], node)
        return self.on_account(inner), negate

    @staticmethod
    def on_account(inner: Predicate) -> Predicate:
        return exists(select(literal(1)).where(Account.id == Customer.account_id, inner))

    # -- plain columns (and correlated scalars)
    def column_condition(self, column: SQLColumnExpression[Any], node: Node) -> tuple[Predicate, bool]:
        if isinstance(node, IsNull):
            return column.is_not(None), not node.negated
        if isinstance(node, Contains):
            return _truth(text_position(column, self.sql_value(node.value)) > 0), node.negated
        if isinstance(node, InList):
            return _truth(column.in_([self.sql_value(v) for v in node.values])), node.negated
        assert isinstance(node, Comparison)
        value = self.sql_value(node.value)
        if node.op == "!=":
            return _truth(column == value), True
        return _truth(_OPERATORS[node.op](column, value)), False

    def sql_value(self, value: Value) -> Any:
        if isinstance(value, Text):
            return value.value
        if isinstance(value, Number):
            return _plain_number(value.value)
        if isinstance(value, Boolean):
            return value.value
        if isinstance(value, DateValue):
            return value.value
        return self.today + timedelta(days=value.offset_days)

    def event_count(self, field: EventCount) -> ColumnElement[int]:
        conditions = [Event.customer_id == Customer.id, Event.name == field.event]
        if field.days is not None:
            conditions.append(Event.occurred_at >= self.now - timedelta(days=field.days))
        return select(func.count(Event.id)).where(*conditions).scalar_subquery()

    # -- tenure: whole days since signup_date, turned into a condition on signup_date
    def tenure(self, node: Comparison | InList | Contains | IsNull) -> tuple[Predicate, bool]:
        signup = Customer.signup_date
        if isinstance(node, IsNull):
            return signup.is_not(None), not node.negated
        if isinstance(node, InList):
            days = [v.value for v in node.values if isinstance(v, Number) and v.value == int(v.value)]
            return _truth(signup.in_([self.days_ago(int(d)) for d in days])), node.negated
        assert isinstance(node, Comparison) and isinstance(node.value, Number)
        n = node.value.value
        if node.op in ("=", "!="):
            if n != int(n):
                return false(), node.op == "!="
            return _truth(signup == self.days_ago(int(n))), node.op == "!="
        # tenure >= k  <=>  signup_date <= today - k days, with k the smallest whole number of days that qualifies.
        if node.op in (">", ">="):
            k = math.floor(n) + 1 if node.op == ">" else math.ceil(n)
            return _truth(signup <= self.days_ago(k)), False
        k = math.ceil(n) - 1 if node.op == "<" else math.floor(n)
        return _truth(signup >= self.days_ago(k)), False

    def days_ago(self, days: int) -> date:
        try:
            return self.today - timedelta(days=days)
        except OverflowError:
            return date.min if days > 0 else date.max

    # -- JSON attributes
    def json_condition(self, document: Any, key: str, node: Node) -> tuple[Predicate, bool]:
        if isinstance(node, IsNull):
            kind = json_kind(document, key)
            return _truth(and_(kind.is_not(None), kind != "null")), not node.negated
        if isinstance(node, Contains):
            value = node.value
            if isinstance(value, Number):
                return _truth(json_array_has(document, key, literal(float(value.value), Float()))), node.negated
            assert isinstance(value, Text)
            in_text = _truth(text_position(json_text(document, key), value.value) > 0)
            in_list = _truth(json_array_has(document, key, literal(value.value, String())))
            return or_(in_text, in_list), node.negated
        if isinstance(node, InList):
            return or_(*(self.json_equals(document, key, v) for v in node.values)), node.negated
        assert isinstance(node, Comparison)
        if node.op in ("=", "!="):
            return self.json_equals(document, key, node.value), node.op == "!="
        if isinstance(node.value, Number):
            number = json_number(document, key)
            return _truth(_OPERATORS[node.op](number, float(node.value.value))), False
        return _truth(_OPERATORS[node.op](json_text(document, key), self.iso(node.value))), False

    def json_equals(self, document: Any, key: str, value: Value) -> Predicate:
        if isinstance(value, Text):
            return _truth(json_text(document, key) == value.value)
        if isinstance(value, Number):
            return _truth(json_number(document, key) == float(value.value))
        if isinstance(value, Boolean):
            return _truth(json_bool(document, key) == literal(value.value, SaBoolean()))
        return _truth(json_text(document, key) == self.iso(value))

    def iso(self, value: Value) -> str:
        resolved = self.sql_value(value)
        assert isinstance(resolved, date)
        return resolved.isoformat()


def _plain_number(value: Decimal) -> int | float:
    return int(value) if value == int(value) else float(value)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
