"""The time filters of every list endpoint (`since`/`until` or `start`/`end`, and `tz`): dates and local times read in
the caller's zone, bad values a 422 naming the parameter (docs/api.md "Date and time filters"). Issue 10: dates and
naive times answered 500 on /responses and /feedback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from cxloop.core.clock import parse_bound, zone
from cxloop.storage.database import Database
from tests.factories.surveys import make_survey

# Three responses and three feedback items, an hour apart around midnight UTC of 2026-01-05.
INSTANTS = ["2026-01-04T23:30:00Z", "2026-01-05T00:30:00Z", "2026-01-05T10:30:00Z"]


def _store(api: TestClient, db: Database) -> None:
    make_survey(db)
    responses = [
        {"survey": "rnps", "nps": score, "channel": "email", "customer_external_id": "a", "submitted_at": at}
        for score, at in zip((1, 5, 9), INSTANTS, strict=True)
    ]
    feedback = [
        {
            "kind": "review",
            "channel": "review",
            "source": "g2",
            "external_id": f"r{n}",
            "rating": n,
            "text": "ok",
            "posted_at": at,
        }
        for n, at in zip((1, 3, 5), INSTANTS, strict=True)
    ]
    assert api.post("/api/v1/responses", json={"items": responses}).status_code == 201
    assert api.post("/api/v1/feedback", json={"items": feedback}).status_code == 201


@pytest.mark.parametrize(
    ("params", "scores"),
    [
        ({"since": "2026-01-05"}, [9, 5]),  # a date: the start of that day in UTC
        ({"until": "2026-01-05"}, [1]),
        ({"since": "2026-01-05", "tz": "Europe/Berlin"}, [9, 5, 1]),  # midnight in Berlin is 23:00 UTC the day before
        ({"since": "2026-01-05T10:00"}, [9]),  # a time without zone: that wall time in tz (UTC)
        ({"since": "2026-01-05T10:00", "tz": "America/New_York"}, []),  # 15:00 UTC
        ({"until": "2026-01-05T01:00:00+01:00"}, [1]),  # an offset wins over tz
        ({"since": "2026-01-05T00:00:00Z", "until": "2026-01-05T10:30Z", "tz": "Asia/Tokyo"}, [5]),
    ],
)
def test_dates_and_local_times_are_read_in_tz(
    api: TestClient, db: Database, params: dict[str, str], scores: list[int]
) -> None:
    _store(api, db)
    responses = api.get("/api/v1/responses", params=params)
    assert responses.status_code == 200, responses.text
    assert [r["nps"] for r in responses.json()["items"]] == scores
    feedback = api.get("/api/v1/feedback", params=params)
    assert feedback.status_code == 200, feedback.text
    assert [f["rating"] for f in feedback.json()["items"]] == [{1: 1, 5: 3, 9: 5}[s] for s in scores]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": "x" * 5000}, "tz"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-02-30"}, "until"),
        ({"since": "2026-01-05T25:00"}, "since"),
        ({"since": "x" * 65}, "since"),
    ],
)
def test_bad_filters_are_a_422_naming_the_parameter(api: TestClient, params: dict[str, str], field: str) -> None:
    for url in ("/api/v1/responses", "/api/v1/feedback", "/api/v1/invitations", "/api/v1/invitation-report"):
        answer = api.get(url, params=params)
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_a_local_time_in_a_dst_gap_or_fold_takes_the_earlier_offset() -> None:
    berlin = zone("Europe/Berlin")
    # 02:30 on 2026-03-29 does not exist in Berlin (clocks go 02:00 -> 03:00); fold=0 reads it with the winter offset
    assert parse_bound("2026-03-29T02:30", berlin) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 on 2026-10-25 happens twice; the first (summer time) is meant
    assert parse_bound("2026-10-25T02:30", berlin) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_events_take_the_same_filters_named_start_and_end(api: TestClient) -> None:
    events = [
        {"customer_external_id": "c1", "name": "clicked", "occurred_at": at, "external_id": f"e{n}"}
        for n, at in enumerate(INSTANTS)
    ]
    assert api.post("/api/v1/events", json={"items": events}).status_code == 200

    def ids(params: dict[str, str]) -> list[str]:
        answer = api.get("/api/v1/events", params=params)
        assert answer.status_code == 200, answer.text
        return sorted(e["external_id"] for e in answer.json()["items"])

    assert ids({"start": "2026-01-05"}) == ["e1", "e2"]
    assert ids({"start": "2026-01-05", "tz": "Europe/Berlin"}) == ["e0", "e1", "e2"]
    assert ids({"start": "2026-01-05T01:00", "end": "2026-01-05T11:00", "tz": "Europe/Berlin"}) == ["e1"]
    for params, field in (({"start": "soon"}, "start"), ({"end": "2026-13-01"}, "end"), ({"tz": "Nowhere"}, "tz")):
        answer = api.get("/api/v1/events", params=params)
        assert answer.status_code == 422 and [e["field"] for e in answer.json()["errors"]] == [field], answer.text


@pytest.mark.parametrize("url", ["/api/v1/invitations", "/api/v1/invitation-report"])
def test_invitation_lists_take_dates_and_local_times(api: TestClient, url: str) -> None:
    for params in ({"since": "2026-01-05"}, {"until": "2026-01-05T10:00", "tz": "Asia/Tokyo"}):
        answer = api.get(url, params=params)
        assert answer.status_code == 200, answer.text
