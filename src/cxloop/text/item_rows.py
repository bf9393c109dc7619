"""Rows that refer to a response or feedback item by (item_kind, item_id), with no foreign key since there are two
tables: text analyses, theme assignments, stored vectors. The one place that finds a customer's such rows and
deletes the rows of a set of items, for every one of those tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, false, or_
from sqlalchemy.orm import Session

from cxloop.text import queries
from cxloop.text.enums import ItemKind

BATCH = queries.BATCH  # ids per IN (...) list


# A mapped class with the columns `item_kind` and `item_id` (TextAnalysis, ThemeAssignment, CommentVector); typed
# loosely, since the themes' models live above this module.
ItemRows = Any


def of_customer(session: Session, model: type[ItemRows], *, customer_id: int) -> ColumnElement[bool]:
    """The condition on `model` for the rows of one customer's responses and feedback items."""
    ids = queries.customer_item_ids(session, customer_id=customer_id)
    conditions = [
        (model.item_kind == kind.value) & model.item_id.in_(item_ids) for kind, item_ids in ids.items() if item_ids
    ]
    return or_(*conditions) if conditions else false()


def delete_of(session: Session, model: type[ItemRows], *, kind: ItemKind, ids: Sequence[int]) -> None:
    """Delete the rows of `model` that refer to these items of one kind."""
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
        session.execute(delete(model).where(model.item_kind == kind.value, model.item_id.in_(chunk)))


def of_customers(session: Session, customer_ids: Sequence[int]) -> dict[ItemKind, list[int]]:
    """The ids of these customers' responses and feedback items, by kind."""
    found: dict[ItemKind, list[int]] = {kind: [] for kind in ItemKind}
    for customer_id in customer_ids:
        for kind, ids in queries.customer_item_ids(session, customer_id=customer_id).items():
            found[kind].extend(ids)
    return found
