"""What text analytics derived from a comment (its analysis with the masked text and key phrases, its themes, its
stored vector) goes when the comment goes: a retention policy's anonymisation or deletion, the erasure of feedback
posted under a person's email, a customer deleted. Through the real hooks as wired for the app; both databases."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from cxloop.collection import privacy as collection_privacy
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.privacy import service as privacy
from cxloop.storage.database import Database
from cxloop.text.models import TextAnalysis
from cxloop.text.themes import service as themes
from cxloop.text.themes.models import CommentVector, ThemeAssignment
from cxloop.text.themes.schemas import RuleCreate
from tests.factories.customers import customer_data
from tests.text.themes.conftest import StandIn, add_survey, store_feedback, store_responses

Derived = dict[str, Counter[tuple[str, int]]]


def derived(db: Database) -> Derived:
    """Per table, the (kind, item id) of each row derived from a text."""
    with db.unit_of_work() as session:
        return {
            model.__tablename__: Counter((k, i) for k, i in session.execute(select(model.item_kind, model.item_id)))
            for model in (TextAnalysis, ThemeAssignment, CommentVector)
        }


def items_of(found: Derived) -> set[tuple[str, int]]:
    return {item for rows in found.values() for item in rows}


def with_a_rule(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        themes.add_rule(session, data=RuleCreate(name="Refunds", phrases=["refund"]))


def test_retention_takes_the_analyses_themes_and_vectors_of_the_texts_it_drops(db: Database, encoder: StandIn) -> None:
    add_survey(db)
    responses = store_responses(db, {"nps": 2, "comment": "No refund yet"}, {"nps": 3, "comment": "Refund refused"})
    feedback = store_feedback(db, {"text": "Still waiting for my refund", "rating": 1})
    with_a_rule(db)
    before = derived(db)
    assert all(len(rows) == 3 for rows in before.values())  # each text: an analysis, the rule's theme, a vector

    later = utcnow() + timedelta(days=1)
    with db.unit_of_work(write=True) as session:
        assert collection_privacy.response_retention(session, before=later, action="anonymise", limit=1) == 1
        assert collection_privacy.feedback_retention(session, before=later, action="delete", limit=10) == 1

    gone = {("response", responses[0]), ("feedback", feedback[0])}
    assert items_of(derived(db)) == items_of(before) - gone == {("response", responses[1])}


def test_erasure_and_customer_deletion_take_what_was_derived_from_their_texts(db: Database, encoder: StandIn) -> None:
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        customers.upsert_customers(
            session,
            items=[customer_data(external_id="kim", email="kim@example.com"), customer_data(external_id="lee")],
        )
    # posted under Kim's email but linked to nobody: the erasure finds it by the email
    posted = store_feedback(db, {"text": "Where is my refund", "author_email": "kim@example.com"})
    linked = store_responses(db, {"nps": 1, "comment": "Refund please", "customer_external_id": "kim"})
    lees = store_responses(db, {"nps": 2, "comment": "Refund late", "customer_external_id": "lee"})
    kept = store_responses(db, {"nps": 9, "comment": "Quick refund, thanks"})
    with_a_rule(db)
    assert items_of(derived(db)) == {
        ("feedback", posted[0]),
        ("response", linked[0]),
        ("response", lees[0]),
        ("response", kept[0]),
    }

    with db.unit_of_work(write=True) as session:
        privacy.erase_customer(session, reference="kim", requested_by="test")
    assert items_of(derived(db)) == {("response", lees[0]), ("response", kept[0])}

    with db.unit_of_work(write=True) as session:
        customers.delete_customer(session, customer_id=customers.require_customer(session, external_id="lee").id)
    assert items_of(derived(db)) == {("response", kept[0])}
