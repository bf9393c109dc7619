"""Score rollups (table `score_rollups`), kept current on every write so dashboards never scan raw rows.

Owned by the metrics work; see ScoreRollup in models.py for the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class ScoredFeedback:
    """What a rollup needs to know about one stored response or rated feedback item."""

    at: datetime  # submitted_at / posted_at, aware UTC
    customer_id: int | None
    survey_id: int | None  # None for feedback items
    channel: str
    touchpoint_id: int | None
    stage_id: int | None
    nps: int | None
    csat: int | None  # for feedback items: their 1-5 rating
    ces: int | None


def record_scores(session: Session, items: Sequence[ScoredFeedback]) -> None:
    """Add the scores of newly stored feedback to the rollups, in the caller's transaction."""
    raise NotImplementedError  # written by the metrics work
