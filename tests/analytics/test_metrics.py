"""compute_metric: the rollup path, the raw path and a pandas reference give the same numbers on random data."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from cxloop.analytics import rollups
from cxloop.analytics import service as analytics
from cxloop.analytics.schemas import MetricQuery
from cxloop.storage.database import Database
from tests.analytics.reference import Frames, histograms, load, value_of
from tests.factories.responses import add_scored, random_scored, random_world

ZONES = ["UTC", "Europe/London", "America/New_York"]

CASES: list[dict[str, Any]] = [
    {"metric": "nps", "group_by": []},
    {"metric": "nps", "group_by": ["month"]},
    {"metric": "nps", "group_by": ["month", "segment"]},
    {"metric": "nps", "group_by": ["segment"], "tz": "America/New_York"},
    {"metric": "nps", "group_by": ["day"], "tz": "Europe/London", "start": date(2025, 3, 29), "end": date(2025, 4, 2)},
    {"metric": "nps", "group_by": ["week", "stage"], "tz": "America/New_York"},
    {"metric": "nps", "group_by": ["month"], "segment": "enterprise", "start": date(2025, 5, 15)},
    {"metric": "nps", "group_by": ["segment"], "segment": "at-risk"},
    {"metric": "nps", "group_by": ["quarter", "account"]},
    {"metric": "nps", "group_by": ["segment", "touchpoint"], "stage": "onboarding"},
    {"metric": "nps", "group_by": ["month"], "tz": "Asia/Kolkata", "end": date(2025, 12, 31)},
    {
        "metric": "nps",
        "group_by": ["week"],
        "start": datetime(2025, 3, 30, 0, 30, tzinfo=UTC),
        "end": datetime(2025, 11, 2, 6, 30, tzinfo=UTC),
    },
    {"metric": "csat", "group_by": ["week", "channel"]},
    {"metric": "csat", "group_by": ["month"], "source": "feedback", "tz": "Europe/London"},
    {"metric": "csat", "group_by": ["survey"], "source": "responses"},
    {"metric": "csat", "group_by": ["channel"], "survey": "support"},
    {"metric": "csat", "group_by": ["quarter"], "account": "acme"},
    {"metric": "ces", "group_by": ["quarter", "stage"], "start": date(2025, 3, 9), "end": date(2025, 11, 2)},
    {"metric": "ces", "group_by": ["touchpoint"], "channel": "sms", "tz": "America/New_York"},
    {"metric": "ces", "group_by": ["month"], "touchpoint": "first-use"},
    {"metric": "nps", "group_by": ["month"], "source": "feedback"},
]


def expected_path(case: dict[str, Any]) -> str:
    used = {k for k in case["group_by"] if k not in {"day", "week", "month", "quarter"}}
    used |= {k for k in ("segment", "stage", "touchpoint", "channel", "survey", "account") if k in case}
    instants = any(isinstance(case.get(k), datetime) for k in ("start", "end"))
    fits = len(used) <= 1 and "account" not in used and not instants
    return "rollup" if fits and case.get("tz", "UTC") in ZONES else "raw"


@pytest.fixture
def world_db(db: Database) -> Iterator[Database]:
    previous = rollups.rolled_up_timezones()
    rollups.configure(ZONES)
    with db.unit_of_work() as session:
        world = random_world(session, seed=21, customers=30)
        rng = random.Random(22)
        for _ in range(3):
            add_scored(session, random_scored(rng, world, 250))
    yield db
    rollups.configure(previous)


def case_id(case: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in case.items())


def test_rollup_raw_and_pandas_agree(world_db: Database, subtests: pytest.Subtests) -> None:
    """Every case on one random world (building it is the slow part); each case reports as its own subtest."""
    with world_db.unit_of_work() as session:
        frames = load(session)
        for case in CASES:
            with subtests.test(msg=case_id(case)):
                check_case(session, frames, case)


def check_case(session: Session, frames: Frames, case: dict[str, Any]) -> None:
    query = MetricQuery(**case)
    first = analytics.compute_metric(session, query=query)
    rollups.configure([])  # no zone rolled up: everything comes from raw rows
    try:
        raw = analytics.compute_metric(session, query=query)
    finally:
        rollups.configure(ZONES)
    assert first.path == expected_path(case)
    assert raw.path == "raw"
    assert first.model_dump(exclude={"path"}) == raw.model_dump(exclude={"path"})

    reference_args = {k: v for k, v in case.items() if k != "group_by"}
    reference = histograms(frames, group_by=case["group_by"], **{"tz": "UTC", **reference_args})
    got = {tuple(group.keys[k] for k in case["group_by"]): group for group in first.groups}
    if case["group_by"]:
        assert set(got) == set(reference)
        for keys, hist in reference.items():
            group = got[keys]
            assert group.n == sum(hist.values()), keys
            assert group.value == pytest.approx(value_of(case["metric"], hist), abs=1e-9), keys
            if case["metric"] == "nps":
                assert group.promoters == hist.get(9, 0) + hist.get(10, 0)
                assert group.detractors == sum(c for s, c in hist.items() if s <= 6)
    totals = histograms(frames, group_by=[], **{"tz": "UTC", **reference_args}).get((), {})
    assert first.total.n == sum(totals.values())
    if totals:
        assert first.total.value == pytest.approx(value_of(case["metric"], totals), abs=1e-9)
    if case == {"metric": "nps", "group_by": ["month"], "source": "feedback"}:
        assert first.total.n == 0 and first.groups == []
    else:
        assert first.total.n > 0
