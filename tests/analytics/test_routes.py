"""GET /api/v1/metrics/{metric} over HTTP: the answer's shape, roles, and 422s naming each bad field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey


@pytest.fixture
def scored(db: Database) -> Database:
    with db.unit_of_work() as session:
        survey = add_survey(session, "relationship")
        first, second = add_customers(session, 2)
        add_segment(session, "enterprise", [first], name="Enterprise")
        march, april = datetime(2026, 3, 5, 9, tzinfo=UTC), datetime(2026, 4, 5, 9, tzinfo=UTC)
        add_scored(
            session,
            [
                Scored(march, survey, first, nps=10),
                Scored(march, survey, second, nps=3),
                Scored(april, survey, first, nps=9),
                Scored(april, survey, first, nps=8),
            ],
        )
    return db


def test_nps_by_month_and_segment(api: TestClient, scored: Database) -> None:
    response = api.get("/api/v1/metrics/nps", params={"group_by": "month,segment", "start": "2026-03-01"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["metric"], body["tz"], body["path"], body["filters"]) == (
        "nps",
        "UTC",
        "rollup",
        {"start": "2026-03-01"},
    )
    assert body["total"]["n"] == 4 and body["total"]["value"] == pytest.approx(25.0)
    assert [(g["keys"], g["n"], g["value"]) for g in body["groups"]] == [
        ({"month": "2026-03", "segment": "enterprise"}, 1, 100.0),
        ({"month": "2026-04", "segment": "enterprise"}, 2, 50.0),
    ]
    april = body["groups"][1]
    assert april["change"] == pytest.approx(-50.0) and april["change_significant"] is False
    assert april["promoters"] == 1 and april["passives"] == 1 and april["detractors"] == 0
    assert april["labels"] == {"segment": "Enterprise"}
    assert {"ci_low", "ci_high"} <= set(april)


def test_filters_zone_and_raw_path(api: TestClient, scored: Database) -> None:
    body = api.get(
        "/api/v1/metrics/nps",
        params={"group_by": "segment", "stage": "", "tz": "America/New_York", "end": "2026-03-31"},
    ).json()
    assert body["path"] == "raw" and body["tz"] == "America/New_York"
    assert body["total"]["n"] == 2 and body["groups"][0]["keys"] == {"segment": "enterprise"}
    empty = api.get("/api/v1/metrics/csat").json()
    assert empty["total"] == {**empty["total"], "n": 0, "value": None, "ci_low": None}


def test_a_viewer_may_read_metrics_but_anonymous_callers_may_not(client: TestClient, db: Database) -> None:
    assert client.get("/api/v1/metrics/nps").status_code == 401
    assert client.get("/api/v1/metrics/ces", headers=make_key(db, Role.viewer)).status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/metrics/happiness", {}, "metric"),
        ("/api/v1/metrics/nps", {"group_by": "month,colour"}, "group_by"),
        ("/api/v1/metrics/nps", {"group_by": "month,week"}, "group_by"),
        ("/api/v1/metrics/nps", {"tz": "Europe/Atlantis"}, "tz"),
        ("/api/v1/metrics/nps", {"start": "last tuesday"}, "start"),
        ("/api/v1/metrics/nps", {"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ("/api/v1/metrics/nps", {"segment": "nobody"}, "segment"),
        ("/api/v1/metrics/nps", {"touchpoint": "nowhere"}, "touchpoint"),
        ("/api/v1/metrics/nps", {"source": "gossip"}, "source"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api: TestClient, path: str, params: dict[str, str], field: str) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"]
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["errors"][0]["message"]
