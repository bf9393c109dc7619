"""Settings · Teams over HTTP (SQLite and PostgreSQL): a team created with its lead, time zone, working hours and
holidays, edited, members added and removed; bad fields named beside them and nothing changed; audited as the API
does (`team.created`, `team.updated`)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.storage.database import Database
from cxloop.web.settings_teams import hours_text, parse_hours_text
from tests.web.conftest import make_user, signed_in_client
from tests.web.test_settings_pages import post

TEAM = {
    "key": "support",
    "name": "Support",
    "timezone": "Europe/Paris",
    "business_hours": "mon 09:00-12:30 13:30-18:00\nfri 09:00-17:00",
    "holidays": "2026-12-25, 2026-12-24",
}


def _teams(db: Database) -> list[Any]:
    with db.unit_of_work() as session:
        return access.team_reads(session, access.list_teams(session))


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return post(client, path, data, page="/settings/teams")


def test_working_hours_read_one_day_a_line() -> None:
    hours = {"mon": ["09:00-12:30", "13:30-18:00"], "fri": ["09:00-17:00"]}
    assert parse_hours_text(hours_text(hours)) == hours
    assert parse_hours_text("  \n ") is None


def test_an_admin_creates_and_edits_a_team(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    lead = make_user(db, Role.agent, email="lee@example.com")
    with db.unit_of_work() as session:
        lead_id = access.user_id_by_email(session, email=lead)
    made = _post(client, "/settings/teams", {**TEAM, "lead_user_id": str(lead_id)})
    assert made.status_code == 303 and made.headers["location"] == "/settings/teams?done=team-created"
    [team] = _teams(db)
    assert (team.key, team.name, team.lead_user_id, team.timezone) == ("support", "Support", lead_id, "Europe/Paris")
    assert team.business_hours == {"mon": ["09:00-12:30", "13:30-18:00"], "fri": ["09:00-17:00"]}
    assert team.holidays == ["2026-12-24", "2026-12-25"]
    page = client.get(made.headers["location"]).text
    assert "The team was created." in page and "mon 09:00-12:30 13:30-18:00" in page
    saved = _post(client, f"/settings/teams/{team.id}", {"name": "Care", "timezone": "UTC", "business_hours": ""})
    assert saved.headers["location"] == "/settings/teams?done=team-saved"
    [team] = _teams(db)
    assert (team.name, team.lead_user_id, team.business_hours, team.holidays) == ("Care", None, None, [])
    with db.unit_of_work() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("team.%")).order_by(AuditEntry.id))
        created, updated = entries.all()
    assert created.action == "team.created" and created.actor_kind == "user"
    assert updated.changes["name"] == ["Support", "Care"] and updated.changes["lead_user_id"] == [lead_id, None]


def test_bad_team_fields_are_named_beside_them_and_nothing_changes(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    cases = [
        ({"key": "Support Team"}, "new-team-key-error", "use lower-case letters"),
        ({"timezone": "Mars/Olympus"}, "new-team-timezone-error", "is not a known IANA time zone"),
        (
            {"business_hours": "mon 18:00-09:00"},
            "new-team-hours-error",
            "mon: &#39;18:00-09:00&#39; ends before it starts",
        ),
        ({"business_hours": "someday 09:00-10:00"}, "new-team-hours-error", "is not a weekday"),
        ({"business_hours": "mon"}, "new-team-hours-error", "line 1: give the day and its hours"),
        ({"holidays": "christmas"}, "new-team-holidays-error", "&#39;christmas&#39; is not a date like 2026-12-25"),
        ({"lead_user_id": "999999"}, "new-team-lead-error", "no user with id 999999"),
        ({"lead_user_id": "x"}, "new-team-lead-error", "choose a person from the list"),
        ({"name": ""}, "new-team-name-error", "at least 1 character"),
    ]
    for change, error_id, words in cases:
        refused = _post(client, "/settings/teams", {**TEAM, **change})
        assert refused.status_code in (404, 422), change
        assert f'id="{error_id}">' in refused.text and words in refused.text, (change, refused.text[-3000:])
    assert _teams(db) == []
    assert _post(client, "/settings/teams", TEAM).status_code == 303
    taken = _post(client, "/settings/teams", TEAM)
    assert taken.status_code == 409 and 'id="new-team-key-error">is taken' in taken.text
    [team] = _teams(db)
    bad_edit = _post(client, f"/settings/teams/{team.id}", {"name": "Care", "holidays": "soon"})
    assert bad_edit.status_code == 422 and f'id="team-{team.id}-holidays-error"' in bad_edit.text
    assert _teams(db)[0].name == "Support"
    gone = _post(client, "/settings/teams/999999", {"name": "Care"})
    assert gone.status_code == 404 and "no team 999999. Nothing was changed." in gone.text


def test_members_are_added_and_removed(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    assert _post(client, "/settings/teams", TEAM).status_code == 303
    [team] = _teams(db)
    with db.unit_of_work() as session:
        kim_id = access.user_id_by_email(session, email=make_user(db, Role.agent, email="kim@example.com"))
    added = _post(client, f"/settings/teams/{team.id}/members", {"user_id": str(kim_id)})
    assert added.headers["location"] == "/settings/teams?done=member-added"
    assert _teams(db)[0].member_ids == [kim_id]
    assert "Remove Test agent from Support" in client.get("/settings/teams").text
    unknown = _post(client, f"/settings/teams/{team.id}/members", {"user_id": "999999"})
    assert unknown.status_code == 404 and f'id="add-{team.id}-error">no user with id 999999' in unknown.text
    removed = _post(client, f"/settings/teams/{team.id}/members/{kim_id}/remove", {})
    assert removed.headers["location"] == "/settings/teams?done=member-removed"
    assert _teams(db)[0].member_ids == []
    with db.unit_of_work() as session:
        changes = [
            e.changes["member_ids"]
            for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "team.updated")).all()
        ]
    assert changes == [[[], [kim_id]], [[kim_id], []]]


def test_how_new_cases_are_assigned_is_set_per_team(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    assert _post(client, "/settings/teams", {**TEAM, "assignment": "fewest_open"}).status_code == 303
    [team] = _teams(db)
    assert team.assignment == "fewest_open"
    page = client.get("/settings/teams").text
    assert '<option value="fewest_open" selected>the member with the fewest open cases</option>' in page
    refused = _post(client, f"/settings/teams/{team.id}", {**TEAM, "assignment": "lottery"})
    assert refused.status_code == 422
    assert f'id="team-{team.id}-assignment-error">Input should be &#39;round_robin&#39; or' in refused.text
    assert _teams(db)[0].assignment == "fewest_open"
    saved = _post(client, f"/settings/teams/{team.id}", {**TEAM, "assignment": "round_robin"})
    assert saved.headers["location"] == "/settings/teams?done=team-saved"
    assert _teams(db)[0].assignment == "round_robin"
    with db.unit_of_work() as session:
        query = select(AuditEntry).where(AuditEntry.action == "team.updated")
        [entry] = session.scalars(query).all()
    assert entry.changes["assignment"] == ["fewest_open", "round_robin"]
