"""What the text domain holds about one person: the analyses of their comments and feedback (masked text, key
phrases, sentiment), for privacy access and erasure requests (docs/privacy.md). Erased before the feedback holder
runs, while the person's responses and feedback items still say which analyses are theirs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from cxloop.storage.text_scrub import scrub_columns
from cxloop.text import item_rows
from cxloop.text.enums import ItemKind
from cxloop.text.models import TextAnalysis

PRIVACY_TABLES = ("text_analyses",)


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    theirs = item_rows.of_customer(session, TextAnalysis, customer_id=customer_id)
    rows = session.scalars(select(TextAnalysis).where(theirs).order_by(TextAnalysis.id))
    fields = (
        "item_kind",
        "item_id",
        "field",
        "language",
        "sentiment_label",
        "sentiment_score",
        "key_phrases",
        "masked_text",
        "model",
    )
    return {
        "text_analyses": [
            {"id": r.id, **{f: getattr(r, f) for f in fields}, "analysed_at": r.analysed_at.isoformat()} for r in rows
        ]
    }


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    where = item_rows.of_customer(session, TextAnalysis, customer_id=customer_id)
    count = int(session.scalar(select(func.count()).select_from(TextAnalysis).where(where)) or 0)
    session.execute(delete(TextAnalysis).where(where))
    return {"text_analyses": count}


def forget_items(session: Session, *, responses: Sequence[int], feedback: Sequence[int]) -> None:
    """These items' texts are gone (retention, an erasure of feedback posted under a person's email): their analyses
    go too, masked text and key phrases included (collection's `texts_dropped` hook, wired in cxloop.wiring)."""
    item_rows.delete_of(session, TextAnalysis, kind=ItemKind.response, ids=responses)
    item_rows.delete_of(session, TextAnalysis, kind=ItemKind.feedback, ids=feedback)


def forget_customers(session: Session, *, customer_ids: Sequence[int]) -> None:
    """Customers are being deleted, their responses and feedback with them: drop those items' analyses."""
    for kind, ids in item_rows.of_customers(session, customer_ids).items():
        item_rows.delete_of(session, TextAnalysis, kind=kind, ids=ids)


def scrub_customer_text(session: Session, *, needles: Sequence[str]) -> int:
    """Replace the person's identifiers in every analysis's masked text and key phrases."""
    return scrub_columns(session, cast(Table, TextAnalysis.__table__), ("masked_text", "key_phrases"), needles=needles)
