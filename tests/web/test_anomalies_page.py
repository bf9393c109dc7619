"""The anomalies page and the overview's panel of the latest (TestClient on the real app, SQLite and PostgreSQL),
over the planted drop of tests/analytics/test_anomalies.py."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.analytics import anomalies
from cxloop.storage.database import Database
from tests.analytics.test_anomalies import AS_OF, build
from tests.web.conftest import signed_in_client


def test_no_anomaly_yet_says_how_they_are_found(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    page = client.get("/anomalies")
    assert (
        page.status_code == 200 and "No anomaly in this range" in page.text and "cxloop analyze anomalies" in page.text
    )
    assert "Latest anomalies" not in client.get("/").text


def test_the_planted_drop_is_listed_explained_and_on_the_overview(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    build(db)
    with db.unit_of_work() as session:
        found = anomalies.scan(session, weeks=1, days=0, as_of=AS_OF).discoveries
    assert found
    page = client.get("/anomalies?range=year")
    assert page.status_code == 200
    assert found[0].explanation in page.text and "Enterprise" in page.text and "▼ drop" in page.text
    assert "No anomaly" in client.get("/anomalies?range=year&metric=csat").text
    assert found[0].explanation in client.get("/anomalies?range=year&metric=nps").text
    overview = client.get("/?range=year").text
    assert "Latest anomalies" in overview and found[0].explanation in overview
