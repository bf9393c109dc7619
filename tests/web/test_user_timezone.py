"""A user's own time zone (SQLite and PostgreSQL): set on the account page (validated, audited, empty for the
organisation's), the API's PATCH and read, and the pages that show times (server-rendered and the zone handed to
app.js) and count date ranges in it when the rollups hold that zone (web/zones.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.audit.models import AuditEntry
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from cxloop.web import zones
from tests.factories.surveys import make_survey
from tests.web.conftest import csrf_token, signed_in_client

YESTERDAY_10 = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time(10), UTC)


def _set_zone(client: TestClient, zone: str) -> Any:
    token = csrf_token(client.get("/account").text)
    return client.post("/account/timezone", data={"timezone": zone, "csrf_token": token}, follow_redirects=False)


def _own_zone(db: Database, email: str) -> str | None:
    with db.unit_of_work() as session:
        return access.require_user(session, user_id=access.user_id_by_email(session, email=email) or 0).timezone


def test_a_user_sets_their_time_zone_and_pages_show_times_in_it(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    make_survey(db, key="nps-web")
    with db.unit_of_work() as session:
        collection.record_responses(
            session,
            items=[ResponseCreate(survey="nps-web", nps=9, submitted_at=YESTERDAY_10)],
        )
    page = client.get("/account")
    assert 'data-timezone="UTC"' in page.text and "UTC (the organisation's)" in page.text

    refused = _set_zone(client, "Mars/Olympus")
    assert refused.status_code == 422 and 'id="timezone-error">&#39;Mars/Olympus&#39; is not an IANA' in refused.text
    assert _own_zone(db, "viewer@example.com") is None

    done = _set_zone(client, "Asia/Kolkata")
    assert done.status_code == 303 and done.headers["location"] == "/account?done=timezone"
    assert _own_zone(db, "viewer@example.com") == "Asia/Kolkata"
    with db.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.updated")).one()
    assert entry.changes == {"timezone": [None, "Asia/Kolkata"]}

    feed = client.get("/feedback").text
    assert 'data-timezone="Asia/Kolkata"' in feed
    assert "15:30 IST" in feed, "10:00 UTC is shown as 15:30 in India"

    _set_zone(client, "")
    assert _own_zone(db, "viewer@example.com") is None
    assert 'data-timezone="UTC"' in client.get("/feedback").text


def test_the_api_reads_and_changes_a_users_zone(api: TestClient, db: Database) -> None:
    made = api.post("/api/v1/users", json={"email": "ana@example.com", "role": "agent"}).json()
    assert made["timezone"] is None
    changed = api.patch(f"/api/v1/users/{made['id']}", json={"timezone": "Europe/Paris"})
    assert changed.status_code == 200 and changed.json()["timezone"] == "Europe/Paris"
    bad = api.patch(f"/api/v1/users/{made['id']}", json={"timezone": "Europe/Nowhere"})
    assert bad.status_code == 422 and "timezone" in bad.text
    back = api.patch(f"/api/v1/users/{made['id']}", json={"timezone": ""})
    assert back.json()["timezone"] is None


def test_the_range_follows_the_users_zone_only_where_rollups_hold_it(tmp_path: Path) -> None:
    settings = Settings(environment="test", rollup_timezones=["Europe/Paris", "UTC"], data_dir=tmp_path)
    assert zones.organisation_zone(settings) == "Europe/Paris"
    assert zones.shown_zone(None, settings) == "Europe/Paris"
    assert zones.range_zone("Europe/Paris", settings) == "Europe/Paris"
    assert zones.range_zone("Asia/Tokyo", settings) == "UTC", "no rollups in Tokyo: UTC days"
    late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert zones.today_in("Asia/Tokyo", late) == date(2026, 12, 7)
    assert zones.local_time(late, "Europe/Paris") == "2026-12-07 00:30 CET"


@pytest.mark.parametrize("own", [None, "Asia/Tokyo"])
def test_the_overview_counts_days_in_the_zone_the_rollups_hold(
    db: Database, db_url: str, tmp_path: Path, own: str | None
) -> None:
    settings = Settings(
        environment="test", database_url=db_url, data_dir=tmp_path / "data", rollup_timezones=["Pacific/Kiritimati"]
    )
    with TestClient(create_app(settings, database=db)) as client:
        signed_in_client(client, db, Role.viewer)
        if own:
            _set_zone(client, own)
        page = client.get("/?range=7d").text
        # Kiritimati is 14 hours ahead of UTC: the days of its range end a day after UTC's most of the day
        expected = zones.today_in("Pacific/Kiritimati" if own is None else "UTC").isoformat()
        assert f'id="f-end" type="date" name="end" value="{expected}"' in page
