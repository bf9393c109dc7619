"""Text test helpers: responses and feedback stored through the real collection service, the real relay, a CLI on
the test database, and scored comments in an organisation's own words, generated here."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cxloop.cli import context
from cxloop.storage.database import Database
from cxloop.text.models import TextAnalysis
from tests.alerts.conftest import add_survey, relay, store_feedback, store_responses
from tests.cli_database import commands_on

__all__ = ["ORG_WORDS", "add_survey", "analyses", "org_comments", "relay", "store_feedback", "store_responses"]


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setattr(context.console, "_width", 300)
    with commands_on(db.url, monkeypatch):
        yield CliRunner()


def analyses(db: Database) -> dict[tuple[str, int], TextAnalysis]:
    with db.unit_of_work() as session:
        rows = session.scalars(select(TextAnalysis).order_by(TextAnalysis.id)).all()
        session.expunge_all()
    return {(r.item_kind, r.item_id): r for r in rows}


# An organisation's own words: its customers praise a "zippy checkout" and curse "the spinner", words no general
# lexicon knows. The learned model has to pick them up from the scores.
_GOOD = ["zippy checkout", "the kiosk just worked", "refill arrived pronto", "bundle deal was a steal", "crisp app"]
_BAD = [
    "spinner spun all evening",
    "kiosk jammed again",
    "refill went astray",
    "bundle price jumped",
    "app keeps booting me",
]
_MEH = ["ordered the usual bundle", "picked up at the kiosk", "paid by card at the counter", "used the app once"]
ORG_WORDS = (*_GOOD, *_BAD, *_MEH)
_FILLER = ["this week", "on Tuesday", "for the second time", "at the Leeds branch", "after work", ""]


def org_comments(n: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """`n` responses with an NPS score and a comment whose sentiment only the organisation's words carry."""
    rng = random.Random(seed)
    made = []
    for i in range(n):
        kind = i % 3
        words, nps = [(_BAD, rng.randint(0, 5)), (_MEH, rng.choice((7, 8))), (_GOOD, rng.choice((9, 10)))][kind]
        made.append({"nps": nps, "comment": f"{rng.choice(words)} {rng.choice(_FILLER)}".strip()})
    return made
