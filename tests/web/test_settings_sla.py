"""Settings · SLA policies over HTTP (SQLite and PostgreSQL): analysts add, change and delete policies through the
API's schema and service; bad fields are named beside them and nothing changes; audited as the API's PUT
(`sla_policies.replaced`, the list before and after); viewers and agents are refused, as by the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.schemas import TeamCreate
from cxloop.audit.models import AuditEntry
from cxloop.cases import service as cases
from cxloop.cases.schemas import SlaPolicyRead
from cxloop.storage.database import Database
from cxloop.web.settings_sla import hours
from tests.web.conftest import signed_in_client
from tests.web.test_settings_pages import post

PAGE = "/settings/sla-policies"
URGENT = {
    "priority": "urgent",
    "acknowledge_minutes": "30",
    "first_response_minutes": "240",
    "close_minutes": "960",
    "warn_minutes": "10",
    "on_breach": "lead",
    "verify_after_days": "14",
    "holdout_percent": "10",
}


def _policies(db: Database) -> list[SlaPolicyRead]:
    with db.unit_of_work() as session:
        return cases.list_policies(session)


def _team(db: Database, key: str = "support") -> int:
    with db.unit_of_work() as session:
        return access.create_team(session, data=TeamCreate(key=key, name=key.title())).id


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return post(client, path, data, page=PAGE)


def _replaced(db: Database) -> list[AuditEntry]:
    with db.unit_of_work() as session:
        query = select(AuditEntry).where(AuditEntry.action == "sla_policies.replaced").order_by(AuditEntry.id)
        return list(session.scalars(query).all())


def test_minutes_read_as_hours() -> None:
    assert [hours(m) for m in (45, 60, 90, 2880)] == ["45 min", "1 h", "1 h 30 min", "48 h"]


def test_an_analyst_adds_changes_and_deletes_policies(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.analyst)
    support = _team(db)
    assert client.get("/settings", follow_redirects=False).headers["location"] == PAGE
    page = client.get(PAGE).text
    assert "Built-in default" in page and "acknowledge in 2 h, first response in 24 h, close in 48 h" in page
    assert 'href="/settings/users"' not in page, "an analyst sees the tabs their role reaches only"

    made = _post(client, PAGE, {**URGENT, "team_id": str(support)})
    assert made.status_code == 303 and made.headers["location"] == f"{PAGE}?done=sla-created"
    stored, default = _policies(db)
    assert (stored.team_id, stored.priority, stored.acknowledge_minutes, stored.close_minutes) == (
        support,
        "urgent",
        30,
        960,
    )
    assert (stored.reassign_to_lead, stored.reassign_to_next_agent, stored.verify_after_days) == (True, False, 14)
    assert stored.holdout_percent == 10.0 and default.id is None
    assert "Support · urgent" in client.get(made.headers["location"]).text

    catch_all = {**URGENT, "priority": "", "team_id": "", "acknowledge_minutes": "60", "on_breach": "nothing"}
    assert _post(client, PAGE, catch_all).headers["location"] == f"{PAGE}?done=sla-created"
    assert [p.id is None for p in _policies(db)] == [False, False], "a stored catch-all replaces the built-in"
    assert "Built-in default" not in client.get(PAGE).text

    first = _policies(db)[0]
    changed = {**URGENT, "team_id": str(support), "close_minutes": "1200", "on_breach": "next_agent"}
    saved = _post(client, f"{PAGE}/{first.id}", changed)
    assert saved.headers["location"] == f"{PAGE}?done=sla-saved"
    urgent, any_case = _policies(db)
    assert (urgent.close_minutes, urgent.reassign_to_lead, urgent.reassign_to_next_agent) == (1200, False, True)
    assert (any_case.team_id, any_case.priority, any_case.acknowledge_minutes) == (None, None, 60)

    deleted = _post(client, f"{PAGE}/{any_case.id}/delete", {})
    assert deleted.headers["location"] == f"{PAGE}?done=sla-deleted"
    assert [p.id is None for p in _policies(db)] == [False, True], "the built-in default applies again"

    entries = _replaced(db)
    assert len(entries) == 4 and {e.actor_kind for e in entries} == {"user"}
    before, after = entries[2].changes["items"]
    assert [(p["priority"], p["close_minutes"]) for p in before] == [("urgent", 960), (None, 960)]
    assert [(p["priority"], p["close_minutes"], p["reassign_to_next_agent"]) for p in after] == [
        ("urgent", 1200, True),
        (None, 960, False),
    ]
    assert "id" not in after[0], "as the API's entry: ids change with every replace"


def test_bad_fields_are_named_beside_them_and_nothing_changes(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.analyst)
    support = _team(db)
    cases_ = [
        ({"acknowledge_minutes": "soon"}, "new-sla-ack-error", "&#39;soon&#39; is not a whole number"),
        ({"acknowledge_minutes": "0"}, "new-sla-ack-error", "greater than or equal to 1"),
        ({"close_minutes": ""}, "new-sla-close-error", "enter a whole number"),
        ({"warn_minutes": "99999"}, "new-sla-warn-error", "less than or equal to 10080"),
        ({"verify_after_days": "400"}, "new-sla-verify-error", "less than or equal to 365"),
        ({"holdout_percent": "80"}, "new-sla-holdout-error", "less than or equal to 50"),
        ({"holdout_percent": "many"}, "new-sla-holdout-error", "give a share in per cent"),
        ({"priority": "critical"}, "new-sla-priority-error", "&#39;low&#39;, &#39;normal&#39;"),
        ({"on_breach": "panic"}, "new-sla-breach-error", "choose what a breach does"),
        ({"team_id": "x"}, "new-sla-team-error", "choose a team from the list"),
        ({"team_id": "999999"}, "new-sla-team-error", "no such team"),
    ]
    for change, error_id, words in cases_:
        refused = _post(client, PAGE, {**URGENT, "team_id": str(support), **change})
        assert refused.status_code == 422, change
        assert f'id="{error_id}">' in refused.text and words in refused.text, (change, refused.text[-3000:])
        assert 'aria-invalid="true"' in refused.text
    two = _post(client, PAGE, {**URGENT, "team_id": str(support), "acknowledge_minutes": "x", "close_minutes": "y"})
    assert 'id="new-sla-ack-error"' in two.text and 'id="new-sla-close-error"' in two.text, "every bad field at once"
    assert [p.id for p in _policies(db)] == [None]
    assert _post(client, PAGE, {**URGENT, "team_id": str(support)}).status_code == 303
    repeated = _post(client, PAGE, {**URGENT, "team_id": str(support)})
    assert repeated.status_code == 422
    assert 'id="new-sla-team-error">another policy has this team and priority' in repeated.text
    assert 'value="30"' in repeated.text, "what was typed stays"
    [stored, _default] = _policies(db)
    bad_edit = _post(client, f"{PAGE}/{stored.id}", {**URGENT, "team_id": str(support), "close_minutes": "-5"})
    assert bad_edit.status_code == 422 and f'id="sla-{stored.id}-close-error"' in bad_edit.text
    gone = _post(client, f"{PAGE}/999999", {**URGENT, "team_id": str(support)})
    assert gone.status_code == 404 and "no SLA policy 999999" in gone.text and "Nothing was changed." in gone.text
    assert _post(client, f"{PAGE}/999999/delete", {}).status_code == 404
    assert _policies(db)[0].close_minutes == 960
    assert len(_replaced(db)) == 1, "only the stored policy was audited"


def test_roles_are_the_apis(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.agent)
    assert client.get(PAGE).status_code == 403
    assert client.get("/settings").status_code == 403
    assert "Settings" not in client.get("/cases").text.split("<main")[0]
    other = TestClient(client.app)
    signed_in_client(other, db, Role.admin)
    page = other.get(PAGE).text
    assert 'href="/settings/users"' in page and f'href="{PAGE}" aria-current="page"' in page
    assert other.get("/settings", follow_redirects=False).headers["location"] == "/settings/users"
