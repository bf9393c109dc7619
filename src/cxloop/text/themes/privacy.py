"""What the themes hold about one person: the themes their comments and feedback were given, and their texts' stored
sentence vectors (text/themes/vectors.py), for privacy access and erasure requests (docs/privacy.md). Erased before
the feedback holder runs, while the person's responses and feedback items still say which rows are theirs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxloop.text import item_rows
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.models import CommentVector, Theme, ThemeAssignment

TABLES = {"text_theme_assignments": ThemeAssignment, "text_vectors": CommentVector}
PRIVACY_TABLES = tuple(TABLES)


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    themes = session.execute(
        select(
            ThemeAssignment.id,
            ThemeAssignment.item_kind,
            ThemeAssignment.item_id,
            Theme.name,
            ThemeAssignment.is_primary,
        )
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(item_rows.of_customer(session, ThemeAssignment, customer_id=customer_id))
        .order_by(ThemeAssignment.id)
    )
    vectors = session.execute(
        select(CommentVector.id, CommentVector.item_kind, CommentVector.item_id, CommentVector.embedder)
        .where(item_rows.of_customer(session, CommentVector, customer_id=customer_id))
        .order_by(CommentVector.id)
    )
    return {
        "text_theme_assignments": [
            {"id": i, "item_kind": k, "item_id": n, "theme": name, "primary": primary}
            for i, k, n, name, primary in themes
        ],
        # a sentence vector's 384 numbers say nothing readable: which texts have one, and from which model
        "text_vectors": [{"id": i, "item_kind": k, "item_id": n, "embedder": e} for i, k, n, e in vectors],
    }


def forget_items(session: Session, *, responses: Sequence[int], feedback: Sequence[int]) -> None:
    """These items' texts are gone (retention, an erasure of feedback posted under a person's email): their themes
    and vectors go too (collection's `texts_dropped` hook, wired in cxloop.wiring)."""
    for model in TABLES.values():
        item_rows.delete_of(session, model, kind=ItemKind.response, ids=responses)
        item_rows.delete_of(session, model, kind=ItemKind.feedback, ids=feedback)


def forget_customers(session: Session, *, customer_ids: Sequence[int]) -> None:
    """Customers are being deleted, their responses and feedback with them: drop those items' themes and vectors."""
    for kind, ids in item_rows.of_customers(session, customer_ids).items():
        for model in TABLES.values():
            item_rows.delete_of(session, model, kind=kind, ids=ids)


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    erased = {}
    for table, model in TABLES.items():
        where = item_rows.of_customer(session, model, customer_id=customer_id)
        erased[table] = int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)
        session.execute(delete(model).where(where))
    return erased
