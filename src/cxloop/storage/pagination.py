"""Offset pagination and safe sorting for list endpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.core.errors import FieldError, InvalidInput
from cxloop.core.int_bounds import MAX_LIMIT

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results and the total number matching the filters."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


def order_clause(sort: str | None, allowed: Mapping[str, ColumnElement[Any]], default: str) -> list[Any]:
    """Turn `"-created_at,name"` into ORDER BY terms, refusing unknown fields by name."""
    terms: list[Any] = []
    for raw in (sort or default).split(","):
        name = raw.strip()
        if not name:
            continue
        descending = name.startswith("-")
        key = name.lstrip("-+")
        column = allowed.get(key)
        if column is None:
            raise InvalidInput(
                "unknown sort field",
                errors=[FieldError("sort", f"cannot sort by '{key}'; use one of: {', '.join(sorted(allowed))}")],
            )
        terms.append(column.desc() if descending else column.asc())
    return terms


def paginate(session: Session, query: Select[Any], *, limit: int, offset: int) -> Page[Any]:
    """Run `query` for one page and count the whole result."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("bad limit", errors=[FieldError("limit", f"must be between 1 and {MAX_LIMIT}")])
    if offset < 0:
        raise InvalidInput("bad offset", errors=[FieldError("offset", "must be 0 or more")])
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(query.limit(limit).offset(offset)).all()
    return Page(items=items, total=total, limit=limit, offset=offset)
