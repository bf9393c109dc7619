"""Stored sentence vectors (text/themes/vectors.py): each comment is encoded once, when the worker's enrichment reads
it, and theme discovery, the matching of older comments and of new ones read the stored vector; a changed text is
encoded again; erasure takes a person's vectors. MiniLM is not part of the dev extra, so a stand-in encoder takes
its place here (conftest.StandIn), counting what it is asked to encode; tests/text/themes/test_nearest.py runs the
real model where it is installed. Both databases."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select, update

from cxloop.collection.models import Response
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from cxloop.text import embedding as sentence
from cxloop.text.queries import sources_of
from cxloop.text.themes import discovery, privacy, rematch, runs, vectors
from cxloop.text.themes import service as themes
from cxloop.text.themes.enums import ItemKind, RunStatus
from cxloop.text.themes.models import CommentVector, ThemeAssignment, ThemeRun
from cxloop.text.themes.schemas import RuleCreate
from tests.factories.customers import customer_data
from tests.text.themes.conftest import (
    StandIn,
    add_survey,
    primary_of,
    run_queued,
    store_responses,
    store_topics,
    theme_of_topic,
)
from tests.text.themes.corpus import comment


def stored_count(db: Database) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(CommentVector)) or 0)


def test_each_new_comment_is_encoded_once_and_discovery_reads_the_stored_vectors(
    db: Database, encoder: StandIn
) -> None:
    add_survey(db)
    topics = store_topics(db, 12)
    assert len(encoder.encoded) == len(topics) == stored_count(db)  # the worker's enrichment encoded and kept each
    with db.unit_of_work() as session:
        comments = sources_of(session, kind=ItemKind.response, ids=list(topics))
        kept = vectors.stored(session, comments)
    assert set(kept) == {(ItemKind.response, i) for i in topics}
    for source in comments:  # float16 storage: the same direction as the encoding, to about three decimals
        assert float(kept[(source.kind, source.id)] @ StandIn()([discovery.clean(source.text)])[0]) > 0.999
    encoder.encoded.clear()
    with db.unit_of_work(write=True) as session:
        run = themes.discover(session, limit=1000, embedder="minilm")
    assert run.embedder == "minilm" and run.themes_found >= 2
    assert encoder.encoded == []  # not one comment encoded again

    new = store_responses(db, {"nps": 3, "comment": comment(random.Random(7), "billing")})
    assert len(encoder.encoded) == 1 and stored_count(db) == len(topics) + 1
    assert primary_of(db, ItemKind.response, new[0]) == theme_of_topic(db, topics)["billing"]  # by its vector


def test_a_run_encodes_only_comments_without_a_vector_and_keeps_them(
    db: Database, encoder: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_survey(db)
    topics = store_topics(db, 12)
    older, newer = sorted(topics)[:20], sorted(topics)[20:]
    with db.unit_of_work(write=True) as session:  # vectors lost (stored before MiniLM was installed, say) ...
        session.execute(CommentVector.__table__.delete().where(CommentVector.item_id.in_(older + newer[:5])))
        # ... and one text changed since its vector was encoded: that vector is not used
        session.execute(update(Response).where(Response.id == newer[5]).values(comment="The app crashed at login"))
    encoder.encoded.clear()
    monkeypatch.setattr(rematch, "BATCH", 10)
    with db.unit_of_work(write=True) as session:
        runs.queue_discovery(session, limit=len(newer), embedder="minilm")
    run_queued(db)  # the worker's path: discovery on the newest, then the older ones matched in batches

    with db.unit_of_work() as session:
        run = session.scalars(select(ThemeRun)).one()
        assert run.status == RunStatus.done.value and run.details["rematched"] == len(older)
        comments = sources_of(session, kind=ItemKind.response, ids=list(topics))
        kept = vectors.stored(session, comments)
    encoded_again = sorted(older + newer[:6])
    assert sorted(encoder.encoded) == sorted(discovery.clean(c.text) for c in comments if c.id in encoded_again)
    assert set(kept) == {(ItemKind.response, i) for i in topics}  # every vector encoded was kept, the stale replaced
    assert stored_count(db) == len(topics)


def test_erasure_takes_a_persons_vectors_and_themes_and_the_export_names_them(db: Database, encoder: StandIn) -> None:
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        customers.upsert_customers(session, items=[customer_data(external_id="c1"), customer_data(external_id="c2")])
    mine = store_responses(db, {"nps": 2, "comment": "Slow refund", "customer_external_id": "c1"})
    store_responses(db, {"nps": 9, "comment": "Great", "customer_external_id": "c2"})
    assert stored_count(db) == 2
    with db.unit_of_work(write=True) as session:
        themes.add_rule(session, data=RuleCreate(name="Refunds", phrases=["refund"]))
        c1 = customers.require_customer(session, external_id="c1")
        exported = privacy.export_customer_data(session, customer_id=c1.id)
        assert [(t["item_id"], t["theme"], t["primary"]) for t in exported["text_theme_assignments"]] == [
            (mine[0], "Refunds", True)
        ]
        assert [(v["item_kind"], v["item_id"], v["embedder"]) for v in exported["text_vectors"]] == [
            ("response", mine[0], "minilm")
        ]
        assert privacy.erase_customer_data(session, customer_id=c1.id) == {
            "text_theme_assignments": 1,
            "text_vectors": 1,
        }
    assert stored_count(db) == 1
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ThemeAssignment)) == 0


def test_without_minilm_nothing_is_encoded_or_stored(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentence, "minilm_installed", lambda: False)
    add_survey(db)
    store_topics(db, 3)
    assert stored_count(db) == 0
