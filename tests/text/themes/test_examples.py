"""A theme's examples on both databases: highest score first, then the newest item (the highest id) among equal
scores, responses and feedback items together, an assignment whose item is gone never shown; on SQLite read in
that order from the examples index rather than sorted from every assignment of the theme."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event

from cxloop.storage.database import Database
from cxloop.text.themes import queries
from cxloop.text.themes import service as themes
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.models import ThemeAssignment
from cxloop.text.themes.schemas import RuleCreate
from tests.alerts.conftest import add_survey, store_feedback, store_responses


def test_examples_come_by_score_then_newest_and_skip_items_gone(db: Database) -> None:
    add_survey(db)
    responses = store_responses(db, *({"nps": 5, "comment": f"comment {i}"} for i in range(5)))
    items = store_feedback(db, {"text": "feedback a"}, {"text": "feedback b"})
    now = datetime.now(UTC)
    scores = [(ItemKind.response, responses[0], 0.9), (ItemKind.response, responses[1], 0.5)]
    scores += [(ItemKind.response, responses[2], 0.5), (ItemKind.response, responses[3], 0.7)]
    scores += [(ItemKind.feedback, items[0], 0.8), (ItemKind.feedback, items[1], 0.5)]
    scores += [(ItemKind.response, responses[-1] + 1000, 1.0)]  # its response was deleted
    with db.unit_of_work() as session:
        theme_id = themes.add_rule(session, data=RuleCreate(name="Examples", phrases=["zzz-no-match"])).id
        session.add_all(
            ThemeAssignment(item_kind=kind.value, item_id=i, theme_id=theme_id, score=s, assigned_at=now)
            for kind, i, s in scores
        )
        session.flush()
        read: list[tuple[str, object]] = []
        listen = lambda *args: read.append((args[2], args[3]))  # noqa: E731 - (conn, cursor, statement, parameters)
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            shown = queries.examples(session, theme_id=theme_id, limit=5)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        statement, parameters = read[0]  # the responses' examples
        plans = (
            session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            if db.is_sqlite
            else []
        )
        plan = " ".join(str(row[-1]) for row in plans)
    assert [(kind, i, score) for kind, i, _, score, _ in shown] == [
        (ItemKind.response, responses[0], 0.9),
        (ItemKind.feedback, items[0], 0.8),
        (ItemKind.response, responses[3], 0.7),
        (ItemKind.feedback, items[1], 0.5),  # equal scores: the newest first
        (ItemKind.response, responses[2], 0.5),
    ]
    if db.is_sqlite:
        assert "ix_text_theme_assignments_theme_examples" in plan and "TEMP B-TREE" not in plan, plan
