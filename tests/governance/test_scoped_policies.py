"""Contact policies scoped to a customer segment, on both databases: enterprise customers are asked less often than
SMB ones, the first matching policy by priority applies, and every decision names the policy that made it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from cxloop.invitations import service as invitations
from cxloop.invitations.service import InviteRequest
from cxloop.storage.database import Database
from tests.factories.customers import make_customer
from tests.invitations.conftest import live_survey

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _invite(db: Database, survey_id: int, customer_id: int, at: datetime) -> tuple[str, str | None, str | None]:
    with db.unit_of_work(write=True) as session:
        found = invitations.invite(session, InviteRequest(survey_id, customer_id, "email", at=at), now=at)
        return found.status, found.reason, found.policy


def _customers(db: Database) -> dict[str, int]:
    people = {
        "ent": {"plan": "enterprise", "company_size": 500},
        "giant": {"plan": "enterprise", "company_size": 20_000},
        "smb": {"plan": "smb", "company_size": 12},
        "other": {},
    }
    with db.unit_of_work() as session:
        return {
            name: make_customer(session, external_id=name, email=f"{name}@example.com", attributes=attributes).id
            for name, attributes in people.items()
        }


def test_enterprise_accounts_are_asked_less_often_than_smb_and_the_first_match_applies(
    api: TestClient, db: Database
) -> None:
    for body in (
        {"key": "enterprise", "segment_filter": "plan = enterprise", "priority": 10, "window_days": 60},
        {"key": "smb", "segment_filter": "plan = smb", "priority": 20, "window_days": 30},
        {"key": "giants", "segment_filter": "company_size >= 10000", "priority": 5, "window_days": 90},
    ):
        created = api.post("/api/v1/contact-policies", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["max_invitations"] == 1  # copied from the default
    listed = api.get("/api/v1/contact-policies").json()
    assert [p["key"] for p in listed] == ["giants", "enterprise", "smb", "default"]
    assert listed[-1]["segment_filter"] is None

    ids = _customers(db)
    surveys = [live_survey(db, key=f"s{n}") for n in range(4)]
    first = {name: _invite(db, surveys[0], cid, T0) for name, cid in ids.items()}
    assert first == {
        "ent": ("scheduled", None, "enterprise"),
        "giant": ("scheduled", None, "giants"),  # matches enterprise too, but giants comes first
        "smb": ("scheduled", None, "smb"),
        "other": ("scheduled", None, "default"),
    }
    day20 = {name: _invite(db, surveys[1], cid, T0 + timedelta(days=20))[:2] for name, cid in ids.items()}
    assert day20 == {
        "ent": ("suppressed", "frequency_cap"),
        "giant": ("suppressed", "frequency_cap"),
        "smb": ("suppressed", "frequency_cap"),
        "other": ("scheduled", None),  # the default: 1 per 14 days
    }
    day40 = {name: _invite(db, surveys[2], cid, T0 + timedelta(days=40))[:2] for name, cid in ids.items()}
    assert day40["smb"] == ("scheduled", None) and day40["ent"] == ("suppressed", "frequency_cap")

    by_policy = api.get("/api/v1/invitation-report", params={"group_by": "policy"}).json()["rows"]
    suppressed = {row["group"]: row["suppressed_by_reason"] for row in by_policy}
    assert suppressed == {
        "default": {},
        "enterprise": {"frequency_cap": 2},
        "giants": {"frequency_cap": 2},
        "smb": {"frequency_cap": 1},
    }

    listed = api.get("/api/v1/invitations", params={"customer_id": ids["smb"], "reason": "frequency_cap"}).json()
    assert [item["policy"] for item in listed["items"]] == ["smb"]

    # Without its policy, an enterprise customer falls back to the default (1 per 14 days).
    assert api.delete("/api/v1/contact-policies/enterprise").status_code == 204
    assert _invite(db, surveys[3], ids["ent"], T0 + timedelta(days=55)) == ("scheduled", None, "default")


def test_scoped_policies_are_checked_at_the_door(api: TestClient) -> None:
    url = "/api/v1/contact-policies"
    bad_filter = api.post(url, json={"key": "x", "segment_filter": "plan = = enterprise"})
    assert bad_filter.status_code == 422
    assert bad_filter.json()["errors"][0]["field"] == "segment_filter"
    assert "column" in bad_filter.json()["errors"][0]["message"]
    assert api.post(url, json={"key": "x"}).json()["errors"][0]["field"] == "segment_filter"
    weights = api.post(url, json={"key": "x", "segment_filter": "plan = a", "channel_weights": {"pigeon": 1}})
    assert weights.status_code == 422 and "channel_weights" in weights.json()["errors"][0]["field"]
    heavy = api.post(url, json={"key": "x", "segment_filter": "plan = a", "channel_weights": {"widget": 11}})
    assert heavy.status_code == 422
    assert api.post(url, json={"key": "x", "segment_filter": "plan = a"}).status_code == 201
    taken = api.post(url, json={"key": "x", "segment_filter": "plan = b"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "key"
    assert api.post(url, json={"key": "default", "segment_filter": "plan = b"}).status_code == 409
    changed = api.patch(f"{url}/x", json={"priority": 3, "channel_weights": {"widget": 0.5}})
    assert (changed.json()["priority"], changed.json()["channel_weights"]["widget"]) == (3, 0.5)
    assert api.patch(f"{url}/x", json={"segment_filter": "plan ="}).status_code == 422
    default_filter = api.patch(f"{url}/default", json={"segment_filter": "plan = a"})
    assert default_filter.status_code == 409 and default_filter.json()["errors"][0]["field"] == "segment_filter"
    assert api.patch(f"{url}/default", json={"window_days": 21}).json()["window_days"] == 21
    assert api.get("/api/v1/contact-policy").json()["window_days"] == 21
    assert api.delete(f"{url}/default").status_code == 409
    assert api.get(f"{url}/nope").status_code == 404
    assert api.delete(f"{url}/nope").status_code == 404
