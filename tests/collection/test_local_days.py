"""Local days in SQL equal Python's zoneinfo on both databases, across DST changes and odd offsets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from cxloop.collection import local_days
from cxloop.collection.models import Response
from cxloop.storage.database import Database
from cxloop.surveys.models import SurveyVersion
from tests.factories.responses import add_survey

ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",  # +05:30, no DST
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # DST of 30 minutes
    "America/Sao_Paulo",  # until 2019 DST ended at midnight, repeating the previous day's last hour
    "Pacific/Apia",  # skipped 30 December 2011 entirely
    "America/St_Johns",  # -03:30 with DST
]


def instants(rng: random.Random) -> list[datetime]:
    start, end = datetime(2010, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    found: list[datetime] = []
    for name in ZONES:
        _, changes = local_days.offset_transitions(ZoneInfo(name), int(start.timestamp()), int(end.timestamp()))
        for ts, _offset in changes:
            for delta in (-3601, -1, 0, 1, 3599, 3600):
                found.append(datetime.fromtimestamp(ts + delta, UTC))
            found.append(datetime.fromtimestamp(ts, UTC) - timedelta(microseconds=1))
    span = int((end - start).total_seconds())
    found += [start + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6)) for _ in range(300)]
    return found


def test_sql_local_day_equals_python_in_every_zone(db: Database) -> None:
    at = instants(random.Random(7))
    with db.unit_of_work() as session:
        survey = add_survey(session)
        version_id = session.scalar(select(SurveyVersion.id).where(SurveyVersion.survey_id == survey))
        rows = [
            {
                "survey_id": survey,
                "survey_version_id": version_id,
                "channel": "api",
                "answers": {},
                "meta": {},
                "submitted_at": instant,
                "received_at": instant,
                "nps": i % 11,
            }
            for i, instant in enumerate(at)
        ]
        session.execute(insert(Response), rows)
    dialect = db.engine.dialect.name
    with db.unit_of_work() as session:
        for name in ZONES:
            tz = ZoneInfo(name)
            base = select(
                Response.id.label("id"),
                Response.submitted_at.label("instant"),
                local_days.epoch_seconds(Response.submitted_at, dialect).label("seconds"),
            ).cte("base")
            if dialect == "sqlite":
                base = base.prefix_with("MATERIALIZED")
            day = local_days.day_expression(
                seconds=base.c.seconds,
                instant=base.c.instant,
                dialect=dialect,
                tz=tz,
                start=min(at) - timedelta(days=1),
                end=max(at) + timedelta(days=1),
            )
            got = {row[0]: (row[1], row[2]) for row in session.execute(select(base.c.id, day, base.c.instant))}
            mismatches = [
                (instant, sql_day, local_days.local_day(instant, tz))
                for sql_day, instant in got.values()
                if sql_day != local_days.local_day(instant, tz)
            ]
            assert not mismatches, f"{name}: {mismatches[:5]}"
            assert len(got) == len(at)


@pytest.mark.parametrize("name", ZONES)
def test_transitions_match_an_hourly_scan(name: str) -> None:
    tz = ZoneInfo(name)
    start, end = int(datetime(2011, 1, 1, tzinfo=UTC).timestamp()), int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
    first, changes = local_days.offset_transitions(tz, start, end)
    lookup = sorted(changes)

    def offset(ts: int) -> int:
        current = first
        for change_ts, change_offset in lookup:
            if ts >= change_ts:
                current = change_offset
        return current

    for ts in range(start, end, 3600 * 7 + 13):
        expected = datetime.fromtimestamp(ts, tz).utcoffset()
        assert expected is not None
        assert offset(ts) == int(expected.total_seconds()), datetime.fromtimestamp(ts, UTC)


@settings(max_examples=200)
@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_local_day_is_the_calendar_date(at: datetime) -> None:
    tz = ZoneInfo("America/New_York")
    assert local_days.day_date(local_days.local_day(at, tz)) == at.astimezone(tz).date()


def test_bad_zone_names_are_refused_in_plain_words() -> None:
    for bad in ("Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(ValueError, match="not an IANA timezone"):
            local_days.zone(bad)
    assert local_days.zone("Asia/Kolkata").key == "Asia/Kolkata"
