"""The one reader of comment texts (cxloop.text.queries), which enrichment and themes both read: which items have a
comment, in what order, and that both features see the same set (a partial response's comment included)."""

from __future__ import annotations

from cxloop.storage.database import Database
from cxloop.text import queries
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.alerts.conftest import add_survey, store_feedback, store_responses


def test_one_reader_gives_enrichment_and_themes_the_same_comments(db: Database) -> None:
    add_survey(db)
    complete, partial, silent, empty = store_responses(
        db,
        {"nps": 3, "comment": "The refund never arrived"},
        {"nps": 9, "comment": "Refund came quickly", "is_partial": True},
        {"nps": 7},
        {"nps": 8, "comment": ""},
    )
    (review,) = store_feedback(db, {"text": "Still waiting for my refund", "rating": 1})
    with db.unit_of_work() as session:
        latest = queries.latest_sources(session, limit=10)
        some = queries.sources_of(session, kind=ItemKind.response, ids=[partial, silent, complete, complete])
        enrich_pending = queries.count_sources(session, kind=ItemKind.response, pending_only=False)
    # newest first within each kind; items without text are not comments
    assert [(s.kind, s.id) for s in latest] == [
        (ItemKind.response, partial),
        (ItemKind.response, complete),
        (ItemKind.feedback, review),
    ]
    assert (latest[0].nps, latest[2].rating) == (9, 1)
    assert [s.id for s in some] == [complete, partial]  # id order, each once, only those with a comment
    assert enrich_pending == 2
    with db.unit_of_work(write=True) as session:
        assert text.enrich_items(session, kind=ItemKind.response, ids=[complete, partial, silent, empty]) == 2
        rule_id = themes.add_rule(session, data=RuleCreate(name="Refunds", phrases=["refund"])).id
        assert themes.assign_items(session, kind=ItemKind.response, ids=[complete, partial, silent]) == 2
        found = themes.themes_of_items(session, kind=ItemKind.response, ids=[complete, partial, silent])
    assert found == {complete: (["Refunds"], "Refunds"), partial: (["Refunds"], "Refunds")}
    with db.unit_of_work() as session:
        assert themes.get_theme(session, theme_id=rule_id).volume == 3
