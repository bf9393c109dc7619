"""/api/v1/teams and /api/v1/cases over HTTP: agents limited to their teams, transitions, 409/422 bodies naming the
field, cursor pagination, routing rules, SLA policies, root causes and the SLA report."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.factories.cases import make_user
from tests.factories.customers import make_customer

HOURS = {"mon": ["09:00-18:00"], "fri": ["09:00-17:00"]}


def key_for(db: Database, user_id: int | None, role: Role = Role.agent) -> dict[str, str]:
    with db.unit_of_work() as session:
        _, plain = access.create_api_key(session, name="agent key", role=role, user_id=user_id)
    return {"Authorization": f"Bearer {plain}"}


def setup_world(api: TestClient, db: Database) -> dict[str, Any]:
    with db.unit_of_work() as session:
        ann, bob, lea = make_user(session), make_user(session), make_user(session)
        customers = [make_customer(session).id for _ in range(3)]
        ids = {"ann": ann.id, "bob": bob.id, "lea": lea.id}
    support = api.post(
        "/api/v1/teams",
        json={
            "key": "support",
            "name": "Support",
            "lead_user_id": ids["lea"],
            "member_ids": [ids["ann"]],
            "timezone": "Europe/Paris",
            "business_hours": HOURS,
            "holidays": ["2026-12-25"],
        },
    )
    assert support.status_code == 201, support.text
    product = api.post("/api/v1/teams", json={"key": "product", "name": "Product", "member_ids": [ids["bob"]]})
    rules = api.put(
        "/api/v1/case-routing-rules",
        json={
            "items": [
                {"name": "bugs", "conditions": {"theme": "bug"}, "team_id": product.json()["id"]},
                {"name": "fallback", "team_id": support.json()["id"]},
            ]
        },
    )
    assert rules.status_code == 200, rules.text
    return {**ids, "support": support.json()["id"], "product": product.json()["id"], "customers": customers}


def test_teams_api(api: TestClient, db: Database) -> None:
    world = setup_world(api, db)
    team = api.get(f"/api/v1/teams/{world['support']}").json()
    assert (
        team["business_hours"] == HOURS and team["member_ids"] == [world["ann"]] and team["holidays"] == ["2026-12-25"]
    )
    added = api.put(f"/api/v1/teams/{world['support']}/members/{world['bob']}")
    assert added.json()["member_ids"] == [world["ann"], world["bob"]]
    removed = api.delete(f"/api/v1/teams/{world['support']}/members/{world['bob']}")
    assert removed.json()["member_ids"] == [world["ann"]]
    patched = api.patch(f"/api/v1/teams/{world['support']}", json={"business_hours": None, "assignment": "fewest_open"})
    assert patched.json()["business_hours"] is None and patched.json()["assignment"] == "fewest_open"
    assert [t["key"] for t in api.get("/api/v1/teams").json()] == ["support", "product"]
    taken = api.post("/api/v1/teams", json={"key": "support", "name": "Again"})
    assert taken.status_code == 409 and "key" in taken.text


def test_bad_team_input_names_the_field(api: TestClient) -> None:
    for body, field in [
        ({"key": "x", "name": "X", "timezone": "Mars/Olympus"}, "timezone"),
        ({"key": "x", "name": "X", "business_hours": {"mon": ["18:00-09:00"]}}, "business_hours"),
        ({"key": "x", "name": "X", "holidays": ["25/12/2026"]}, "holidays"),
        ({"key": "x", "name": "X", "member_ids": [999]}, "member_ids"),
        ({"key": "Not A Key", "name": "X"}, "key"),
    ]:
        answer = api.post("/api/v1/teams", json=body)
        assert answer.status_code in (404, 422), answer.text
        assert field in answer.text, (field, answer.text)


def test_cases_over_http_with_agents_limited_to_their_teams(api: TestClient, client: TestClient, db: Database) -> None:
    world = setup_world(api, db)
    c1, c2, _ = world["customers"]
    opened = api.post("/api/v1/cases", json={"customer_id": c1, "triggers": [{"source": "feedback", "id": 5}]})
    assert opened.status_code == 201 and opened.json()["created"] is True
    case = opened.json()["case"]
    assert case["team_id"] == world["support"] and case["owner_user_id"] == world["ann"]
    again = api.post("/api/v1/cases", json={"customer_id": c1, "triggers": [{"source": "feedback", "id": 5}]})
    assert again.status_code == 200 and again.json() == {**again.json(), "created": False}
    assert again.json()["case"]["id"] == case["id"]
    bug = api.post(
        "/api/v1/cases",
        json={"customer_id": c2, "triggers": [{"source": "response", "id": 9}], "context": {"themes": ["Bug"]}},
    ).json()["case"]
    assert bug["team_id"] == world["product"]

    ann = key_for(db, world["ann"])
    listed = client.get("/api/v1/cases", headers=ann).json()
    assert [c["id"] for c in listed["items"]] == [case["id"]]
    assert client.get(f"/api/v1/cases/{bug['id']}", headers=ann).status_code == 404
    assert client.post(f"/api/v1/cases/{bug['id']}/acknowledge", headers=ann).status_code == 404
    keyless = key_for(db, None)
    assert client.get("/api/v1/cases", headers=keyless).json()["items"] == []
    analyst = key_for(db, None, Role.analyst)
    assert len(client.get("/api/v1/cases", headers=analyst).json()["items"]) == 2

    acked = client.post(f"/api/v1/cases/{case['id']}/acknowledge", headers=ann)
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    twice = client.post(f"/api/v1/cases/{case['id']}/acknowledge", headers=ann)
    assert twice.status_code == 409 and "acknowledged" in twice.text and "status" in twice.text
    no_resolution = client.post(f"/api/v1/cases/{case['id']}/resolve", headers=ann, json={})
    assert no_resolution.status_code == 422 and "resolution" in no_resolution.text
    outsider = client.post(f"/api/v1/cases/{case['id']}/assign", headers=ann, json={"owner_user_id": world["bob"]})
    assert outsider.status_code == 422 and "owner_user_id" in outsider.text
    note = client.post(f"/api/v1/cases/{case['id']}/notes", headers=ann, json={"text": "Called back", "response": True})
    assert note.status_code == 201 and note.json()["first_response_at"] is not None
    assert api.post("/api/v1/case-root-causes", json={"key": "shipping", "name": "Shipping"}).status_code == 201
    resolved = client.post(
        f"/api/v1/cases/{case['id']}/resolve", headers=ann, json={"resolution": "Reshipped", "root_cause": "shipping"}
    )
    assert resolved.status_code == 200 and resolved.json()["root_cause"] == "shipping"
    closed = client.post(f"/api/v1/cases/{case['id']}/close", headers=ann).json()
    assert closed["status"] == "closed" and closed["actions"] == ["reopen"]
    late = client.post(f"/api/v1/cases/{case['id']}/resolve", headers=ann, json={"resolution": "x"})
    assert late.status_code == 409 and "closed" in late.text
    kinds = [a["kind"] for a in closed["activity"]]
    assert kinds == ["opened", "routed", "status", "response", "status", "status"]
    assert {a["actor"] for a in closed["activity"] if a["kind"] == "status"} == {"agent key"}
    viewer = key_for(db, None, Role.viewer)
    assert client.get("/api/v1/cases", headers=viewer).status_code == 403


def test_cursor_pagination_and_filters(api: TestClient, db: Database) -> None:
    world = setup_world(api, db)
    with db.unit_of_work() as session:
        more = [make_customer(session).id for _ in range(4)]
    for n, customer in enumerate([*world["customers"], *more]):
        api.post("/api/v1/cases", json={"customer_id": customer, "triggers": [{"source": "feedback", "id": n + 1}]})
    seen: list[int] = []
    cursor = None
    while True:
        page = api.get("/api/v1/cases", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 7 == len(set(seen))
    api.post(f"/api/v1/cases/{seen[0]}/start")
    started = api.get("/api/v1/cases", params={"status": "in_progress"}).json()["items"]
    assert [c["id"] for c in started] == [seen[0]]
    bad = api.get("/api/v1/cases", params={"cursor": "!!!"})
    assert bad.status_code == 422 and "cursor" in bad.text
    assert api.get("/api/v1/cases", params={"status": "lost"}).status_code == 422


def test_settings_endpoints_and_report(api: TestClient, db: Database) -> None:
    world = setup_world(api, db)
    policies = api.put(
        "/api/v1/sla-policies",
        json={"items": [{"team_id": world["support"], "priority": "urgent", "acknowledge_minutes": 30}]},
    )
    assert policies.status_code == 200 and [p["id"] is None for p in policies.json()] == [False, True]
    repeated = api.put("/api/v1/sla-policies", json={"items": [{}, {}]})
    assert repeated.status_code == 422 and "items[1]" in repeated.text
    bad_rule = api.put("/api/v1/case-routing-rules", json={"items": [{"name": "x"}]})
    assert bad_rule.status_code == 422 and "team_id" in bad_rule.text
    assert [r["name"] for r in api.get("/api/v1/case-routing-rules").json()] == ["bugs", "fallback"]
    entries = api.get("/api/v1/audit", params={"action": "sla_policies.replaced"}).json()["items"]
    assert len(entries) == 1  # the refused replacement left none
    before, after = entries[0]["changes"]["items"]
    assert before == []  # the built-in default is not stored
    assert [(p["team_id"], p["priority"], p["acknowledge_minutes"]) for p in after] == [
        (world["support"], "urgent", 30)
    ]
    cause = api.post("/api/v1/case-root-causes", json={"key": "pricing", "name": "Pricing"}).json()
    retired = api.patch(f"/api/v1/case-root-causes/{cause['id']}", json={"is_active": False}).json()
    assert retired["is_active"] is False
    api.post("/api/v1/cases", json={"customer_id": world["customers"][0], "triggers": []})
    report = api.get("/api/v1/cases/sla-report", params={"by": "team"})
    assert report.status_code == 200, report.text
    (row,) = report.json()["rows"]
    assert row["group"] == "support" and row["cases"] == 1
    assert row["acknowledged_within_2h"]["target"] == 60.0 and row["closed_within_48h"]["target"] == 95.0
    assert api.get("/api/v1/cases/sla-report", params={"by": "moon"}).status_code == 422


def test_two_acknowledgements_over_http_at_once(api: TestClient, db: Database) -> None:
    world = setup_world(api, db)
    case_id = api.post("/api/v1/cases", json={"customer_id": world["customers"][0]}).json()["case"]["id"]
    start = threading.Barrier(2)

    def acknowledge() -> int:
        start.wait()
        return api.post(f"/api/v1/cases/{case_id}/acknowledge").status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(lambda _: acknowledge(), range(2)))
    assert codes == [200, 409]
    statuses = [a for a in api.get(f"/api/v1/cases/{case_id}").json()["activity"] if a["kind"] == "status"]
    assert len(statuses) == 1
