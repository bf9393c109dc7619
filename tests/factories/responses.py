"""Builders for scored feedback: surveys, customers, accounts, segments, responses and rated feedback items.

Rows are inserted directly and then counted into the rollups with `rollups.record_scores` / `on_membership_change`
(and into the responses per survey),
exactly as the collection and customers services do after they store something. `random_world` builds a seeded
random organisation for the rollup == raw == pandas tests.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cxloop.analytics import rollups, survey_responses
from cxloop.analytics.models import ScoreRollup
from cxloop.collection.models import FeedbackItem, Response
from cxloop.collection.rows import ScoredRow, epoch_seconds
from cxloop.customers.models import Account, Customer, Segment, SegmentMember
from cxloop.journeys.models import Stage, Touchpoint
from cxloop.surveys.models import Survey, SurveyVersion

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Scored:
    """One response (survey set) or rated feedback item (survey None, csat = the 1-5 rating)."""

    at: datetime
    survey_id: int | None = None
    customer_id: int | None = None
    channel: str = "email"
    touchpoint_id: int | None = None
    stage_id: int | None = None
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None

    def row(self) -> ScoredRow:
        """As the rollups see it."""
        return ScoredRow(
            seconds=epoch_seconds(self.at),
            customer_id=self.customer_id,
            survey_id=self.survey_id,
            channel=self.channel,
            touchpoint_id=self.touchpoint_id,
            stage_id=self.stage_id,
            nps=self.nps,
            csat=self.csat,
            ces=self.ces,
        )


def add_survey(session: Session, key: str = "relationship", name: str | None = None) -> int:
    survey = Survey(key=key, name=name or key.title(), status="live", created_at=NOW, updated_at=NOW)
    session.add(survey)
    session.flush()
    session.add(SurveyVersion(survey_id=survey.id, version=1, definition={"questions": []}, created_at=NOW))
    session.flush()
    return survey.id


def add_account(session: Session, external_id: str, name: str | None = None) -> int:
    account = Account(external_id=external_id, name=name or external_id.upper(), created_at=NOW, updated_at=NOW)
    session.add(account)
    session.flush()
    return account.id


def add_customers(
    session: Session, count: int, *, accounts: Sequence[int | None] = (None,), start: int = 0
) -> list[int]:
    rows = [
        {
            "external_id": f"c{start + i}",
            "account_id": accounts[i % len(accounts)],
            "created_at": NOW,
            "updated_at": NOW,
            "attributes": {},
        }
        for i in range(count)
    ]
    session.execute(insert(Customer), rows)
    found = session.scalars(select(Customer.id).where(Customer.external_id.in_([r["external_id"] for r in rows])))
    return sorted(found)


def add_segment(session: Session, key: str, customer_ids: Sequence[int], name: str | None = None) -> int:
    """A segment with these members; the rollups are told, as the membership listener would be. Its filter
    (everyone) parses, but membership is set here, not computed from it."""
    segment = Segment(
        key=key, name=name or key.title(), filter="external_id is not null", created_at=NOW, updated_at=NOW
    )
    session.add(segment)
    session.flush()
    set_members(session, segment.id, added=customer_ids)
    return segment.id


def set_members(session: Session, segment_id: int, *, added: Sequence[int] = (), removed: Sequence[int] = ()) -> None:
    if added:
        session.execute(insert(SegmentMember), [{"segment_id": segment_id, "customer_id": c} for c in added])
    for customer_id in removed:
        member = session.get(SegmentMember, (segment_id, customer_id))
        assert member is not None
        session.delete(member)
    session.flush()
    rollups.on_membership_change(session, segment_id=segment_id, added=list(added), removed=list(removed))


def add_scored(session: Session, items: Sequence[Scored]) -> None:
    """Store responses and rated feedback items, then count them into the rollups."""
    versions = dict(session.execute(select(SurveyVersion.survey_id, SurveyVersion.id)).all())
    responses = [
        {
            "survey_id": item.survey_id,
            "survey_version_id": versions[item.survey_id],
            "customer_id": item.customer_id,
            "channel": item.channel,
            "touchpoint_id": item.touchpoint_id,
            "stage_id": item.stage_id,
            "answers": {},
            "meta": {},
            "nps": item.nps,
            "csat": item.csat,
            "ces": item.ces,
            "submitted_at": item.at,
            "received_at": item.at,
        }
        for item in items
        if item.survey_id is not None
    ]
    feedback = [
        {
            "kind": "review",
            "source": "test",
            "channel": item.channel,
            "text": "rated feedback",
            "rating": item.csat,
            "customer_id": item.customer_id,
            "touchpoint_id": item.touchpoint_id,
            "stage_id": item.stage_id,
            "meta": {},
            "posted_at": item.at,
            "received_at": item.at,
        }
        for item in items
        if item.survey_id is None
    ]
    if responses:
        session.execute(insert(Response), responses)
    if feedback:
        session.execute(insert(FeedbackItem), feedback)
    rows = [item.row() for item in items]
    rollups.record_scores(session, items=rows)
    survey_responses.on_scores_changed(session, removed=(), added=rows)  # the responses per survey and day
    session.flush()


@dataclass
class World:
    """Ids of a random organisation."""

    surveys: list[int] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)
    accounts: list[int] = field(default_factory=list)
    segments: dict[str, int] = field(default_factory=dict)
    stages: dict[str, int] = field(default_factory=dict)
    touchpoints: dict[str, tuple[int, int]] = field(default_factory=dict)
    items: list[Scored] = field(default_factory=list)


CHANNELS = ("email", "web", "sms", "support")
# Instants around DST changes in London / New York, and plain ones, from March 2025 to April 2026.
HOT_SPOTS = (
    datetime(2025, 3, 9, 7, 0, tzinfo=UTC),  # New York springs forward at 07:00 UTC
    datetime(2025, 3, 30, 1, 0, tzinfo=UTC),  # London springs forward at 01:00 UTC
    datetime(2025, 10, 26, 1, 0, tzinfo=UTC),  # London falls back
    datetime(2025, 11, 2, 6, 0, tzinfo=UTC),  # New York falls back
    datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
)


def random_instant(rng: random.Random) -> datetime:
    if rng.random() < 0.35:
        hot = rng.choice(HOT_SPOTS)
        return hot + timedelta(seconds=rng.randint(-3 * 3600, 3 * 3600), microseconds=rng.choice((0, 500_000)))
    start = datetime(2025, 2, 20, tzinfo=UTC)
    return start + timedelta(seconds=rng.randint(0, 430 * 86_400), microseconds=rng.randint(0, 999_999))


def random_scored(rng: random.Random, world: World, count: int) -> list[Scored]:
    items: list[Scored] = []
    for _ in range(count):
        at = random_instant(rng)
        customer = rng.choice([*world.customers, None]) if rng.random() < 0.95 else None
        touchpoint = rng.choice([*world.touchpoints.values(), None])
        stage_id = touchpoint[1] if touchpoint else rng.choice([*world.stages.values(), None])
        channel = rng.choice(CHANNELS)
        if rng.random() < 0.2:
            items.append(
                Scored(at, None, customer, channel, touchpoint and touchpoint[0], stage_id, csat=rng.randint(1, 5))
            )
            continue
        nps = rng.randint(0, 10) if rng.random() < 0.8 else None
        csat = rng.randint(1, 5) if rng.random() < 0.5 else None
        ces = rng.randint(1, 7) if rng.random() < 0.5 else None
        survey = rng.choice(world.surveys)
        items.append(Scored(at, survey, customer, channel, touchpoint and touchpoint[0], stage_id, nps, csat, ces))
    return items


def random_world(session: Session, *, seed: int, customers: int = 40) -> World:
    """Surveys, accounts, customers and overlapping segments; no feedback yet (see `random_scored`)."""
    rng = random.Random(seed)
    world = World()
    world.surveys = [add_survey(session, "relationship"), add_survey(session, "support")]
    world.accounts = [add_account(session, "acme"), add_account(session, "globex")]
    world.customers = add_customers(session, customers, accounts=[*world.accounts, None])
    world.stages = dict(session.execute(select(Stage.key, Stage.id)).all())
    world.touchpoints = {
        key: (tp_id, stage_id)
        for key, tp_id, stage_id in session.execute(select(Touchpoint.key, Touchpoint.id, Touchpoint.stage_id))
    }
    half = len(world.customers) // 2
    world.segments["enterprise"] = add_segment(session, "enterprise", rng.sample(world.customers, half))
    # Overlaps enterprise: a customer in both counts in both.
    world.segments["at-risk"] = add_segment(session, "at-risk", rng.sample(world.customers, half // 2))
    return world


def as_dict(item: Scored) -> dict[str, Any]:
    return {name: getattr(item, name) for name in Scored.__dataclass_fields__}


def snapshot(session: Session) -> dict[tuple[str, str, str, str, int, int], int]:
    """Every rollup row as {(tz, metric, dim, dim_value, day, score): n}."""
    rows = session.execute(
        select(
            ScoreRollup.tz,
            ScoreRollup.metric,
            ScoreRollup.dim,
            ScoreRollup.dim_value,
            ScoreRollup.day,
            ScoreRollup.score,
            ScoreRollup.n,
        )
    )
    return {tuple(row[:6]): row[6] for row in rows}  # type: ignore[misc]
