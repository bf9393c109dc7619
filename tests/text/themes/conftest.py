"""Themes test helpers: a live survey, responses and feedback stored through the real collection service (the relay
runs the real outbox handlers), and discovery run through the service. Both databases."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import select

from cxloop import jobs
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database
from cxloop.text import embedding as sentence
from cxloop.text import queries as text_queries
from cxloop.text.themes import runs
from cxloop.text.themes import service as themes
from cxloop.text.themes import tasks as themes_tasks
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.models import Theme, ThemeAssignment
from tests.alerts.conftest import add_survey, store_feedback, store_responses
from tests.text.themes.corpus import comment

# NPS per topic: billing comments come with low scores, so the billing theme's impact is clearly negative
SCORES = {"delivery": (7, 9), "billing": (0, 4), "app": (6, 9), "staff": (8, 10)}

__all__ = [
    "StandIn",
    "add_survey",
    "discover",
    "primary_of",
    "run_queued",
    "store_feedback",
    "store_topics",
    "texts_of",
    "theme_of_topic",
    "theme_row",
]


def store_topics(db: Database, per_topic: int, *, seed: int = 0, topics: list[str] | None = None) -> dict[int, str]:
    """Responses with comments (and an NPS) on each topic; response id -> topic."""
    rng = random.Random(seed)
    made: dict[int, str] = {}
    for topic in topics or list(SCORES):
        low, high = SCORES[topic]
        items = [{"nps": rng.randint(low, high), "comment": comment(rng, topic)} for _ in range(per_topic)]
        for response_id in store_responses(db, *items):
            made[response_id] = topic
    return made


def discover(db: Database, limit: int = 10_000) -> themes.RunRead:
    with db.unit_of_work(write=True) as session:
        return themes.run_read(themes.discover(session, limit=limit))


def run_queued(db: Database) -> None:
    """What the worker does each minute with queued discovery runs: its registered job, on this database."""
    assert runs.SWEEP_JOB in jobs.queued and themes_tasks.run_queued_discovery is not None
    jobs.queued.run(SimpleNamespace(database=db), runs.SWEEP_JOB, NoPayload().model_dump())


def theme_of_topic(db: Database, topics: dict[int, str]) -> dict[str, int]:
    """Topic -> the id of the theme most of its responses have as their primary theme."""
    from collections import Counter

    votes: dict[str, Counter[int]] = {}
    for response_id, topic in topics.items():
        primary = primary_of(db, ItemKind.response, response_id)
        if primary is not None:
            votes.setdefault(topic, Counter())[primary] += 1
    return {topic: counter.most_common(1)[0][0] for topic, counter in votes.items()}


def primary_of(db: Database, kind: ItemKind, item_id: int) -> int | None:
    with db.unit_of_work() as session:
        return session.scalar(
            select(ThemeAssignment.theme_id).where(
                ThemeAssignment.item_kind == kind.value,
                ThemeAssignment.item_id == item_id,
                ThemeAssignment.is_primary.is_(True),
            )
        )


def texts_of(db: Database, response_ids: list[int]) -> dict[int, str]:
    with db.unit_of_work() as session:
        found = text_queries.sources_of(session, kind=ItemKind.response, ids=response_ids)
    return {source.id: source.text for source in found}


def theme_row(db: Database, theme_id: int) -> Theme:
    with db.unit_of_work() as session:
        theme = session.get(Theme, theme_id)
        assert theme is not None
        session.expunge(theme)
        return theme


_WORD = re.compile(r"[a-z]+")


class StandIn:
    """Words hashed into 384 dimensions, unit rows: texts of one topic lie near each other, as with MiniLM."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        rows = np.zeros((len(texts), sentence.DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                rows[row, int(hashlib.blake2b(word.encode(), digest_size=4).hexdigest(), 16) % sentence.DIMENSIONS] += 1
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


@pytest.fixture
def encoder(monkeypatch: pytest.MonkeyPatch) -> StandIn:
    stand_in = StandIn()
    monkeypatch.setattr(sentence, "minilm_installed", lambda: True)
    monkeypatch.setattr(sentence, "_encode", stand_in)
    return stand_in
