"""Per-customer scores that higher domains compute and segment filters can name (`churn_risk`, from churn's daily
scoring; docs/segments.md). Customers sits below those domains, so it does not read their tables itself: each score
is provided at start-up by `cxloop.wiring` as a function giving the score of the customer whose id it is handed,
as a correlated SQL expression (NULL when the customer has none). After a score changes, its owner calls
`customers.refresh_scored_segments` so that the segments reading it are recomputed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import SQLColumnExpression
from sqlalchemy.sql.elements import ColumnElement

from cxloop.customers.segment_ast import SCORES

# customer id column -> that customer's score (a correlated scalar subquery)
ScoreColumn = Callable[[SQLColumnExpression[int]], ColumnElement[Any]]
_columns: dict[str, ScoreColumn] = {}


def provide(name: str, column: ScoreColumn) -> None:
    """Say where the score `name` comes from. The same function twice is one; another one is a ValueError."""
    if name not in SCORES:
        raise ValueError(f"{name!r} is not a score segment filters know; they know {', '.join(sorted(SCORES))}")
    if not callable(column):
        raise TypeError(f"the {name} score must be a function of the customer id column, got {column!r}")
    if _columns.get(name, column) is not column:
        raise ValueError(f"the {name} score is provided already")
    _columns[name] = column


def column(name: str, customer_id: SQLColumnExpression[int]) -> ColumnElement[Any]:
    """The score `name` of the customer with `customer_id`; RuntimeError when nothing provides it (not wired)."""
    try:
        return _columns[name](customer_id)
    except KeyError:
        raise RuntimeError(f"nothing provides the {name} score: cxloop.wiring.wire_domains does") from None
