"""/api/v1/journeys: journeys, ordered stages and touchpoints; the default journey is protected."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key


def _default(api: TestClient) -> dict[str, Any]:
    (summary,) = [j for j in api.get("/api/v1/journeys").json()["items"] if j["is_default"]]
    return dict(api.get(f"/api/v1/journeys/{summary['id']}").json())


def test_the_default_journey_is_listed_with_its_stages_and_cannot_be_deleted(api: TestClient) -> None:
    journey = _default(api)
    assert journey["key"] == "customer-lifecycle"
    assert [s["key"] for s in journey["stages"]] == ["awareness", "onboarding", "usage", "renewal", "advocacy"]
    first_use = next(t for s in journey["stages"] for t in s["touchpoints"] if t["key"] == "first-use")
    assert first_use["recommended_metric"] == "ces" and first_use["stage"] == "onboarding"
    response = api.delete(f"/api/v1/journeys/{journey['id']}")
    assert response.status_code == 409 and "default journey" in response.json()["detail"]


def test_journey_with_nested_stages_and_touchpoints(api: TestClient) -> None:
    created = api.post(
        "/api/v1/journeys",
        json={
            "key": "b2b",
            "name": "B2B",
            "stages": [
                {
                    "key": "trial",
                    "name": "Trial",
                    "touchpoints": [
                        {
                            "key": "kickoff",
                            "name": "Kick-off",
                            "recommended_metric": "ces",
                            "recommended_timing": "day 1",
                        }
                    ],
                },
                {"key": "paid", "name": "Paid"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    journey = created.json()
    assert not journey["is_default"]
    assert [(s["key"], s["position"]) for s in journey["stages"]] == [("trial", 0), ("paid", 1)]
    assert journey["stages"][0]["touchpoints"][0]["recommended_timing"] == "day 1"
    assert api.post("/api/v1/journeys", json={"key": "b2b", "name": "Again"}).status_code == 409
    summary = next(j for j in api.get("/api/v1/journeys").json()["items"] if j["key"] == "b2b")
    assert (summary["stage_count"], summary["touchpoint_count"]) == (2, 1)
    assert api.delete(f"/api/v1/journeys/{journey['id']}").status_code == 204
    assert api.get(f"/api/v1/journeys/{journey['id']}").status_code == 404


def test_stages_insert_move_reorder_and_delete(api: TestClient) -> None:
    journey = api.post("/api/v1/journeys", json={"key": "j", "name": "J"}).json()
    base = f"/api/v1/journeys/{journey['id']}"
    a = api.post(f"{base}/stages", json={"key": "a", "name": "A"}).json()
    c = api.post(f"{base}/stages", json={"key": "c", "name": "C"}).json()
    b = api.post(f"{base}/stages", json={"key": "b", "name": "B", "position": 1}).json()
    assert b["position"] == 1

    def order() -> list[str]:
        return [s["key"] for s in api.get(base).json()["stages"]]

    assert order() == ["a", "b", "c"]
    moved = api.patch(f"{base}/stages/{a['id']}", json={"position": 5, "name": "Alpha"})
    assert moved.json()["name"] == "Alpha" and order() == ["b", "c", "a"]
    assert [s["position"] for s in api.get(base).json()["stages"]] == [0, 1, 2]
    reordered = api.put(f"{base}/stages/order", json={"stage_ids": [c["id"], a["id"], b["id"]]})
    assert [s["key"] for s in reordered.json()["stages"]] == ["c", "a", "b"]
    bad = api.put(f"{base}/stages/order", json={"stage_ids": [c["id"], a["id"]]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "stage_ids"
    assert api.post(f"{base}/stages", json={"key": "a", "name": "dup"}).status_code == 409
    assert api.delete(f"{base}/stages/{a['id']}").status_code == 204
    assert order() == ["c", "b"]
    other = _default(api)
    assert api.patch(f"/api/v1/journeys/{other['id']}/stages/{b['id']}", json={"name": "x"}).status_code == 404


def test_touchpoints_crud(api: TestClient) -> None:
    journey = api.post(
        "/api/v1/journeys",
        json={"key": "j", "name": "J", "stages": [{"key": "one", "name": "One"}, {"key": "two", "name": "Two"}]},
    ).json()
    base = f"/api/v1/journeys/{journey['id']}"
    created = api.post(
        f"{base}/touchpoints", json={"key": "tp", "name": "TP", "stage": "one", "recommended_metric": "nps"}
    )
    assert created.status_code == 201 and created.json()["stage"] == "one"
    tp = created.json()
    moved = api.patch(f"{base}/touchpoints/{tp['id']}", json={"stage": "two", "recommended_metric": None})
    assert moved.json()["stage"] == "two" and moved.json()["recommended_metric"] is None
    assert api.post(f"{base}/touchpoints", json={"key": "tp", "name": "dup", "stage": "one"}).status_code == 409
    missing_stage = api.post(f"{base}/touchpoints", json={"key": "x", "name": "X"})
    assert missing_stage.status_code == 422 and "stage" in missing_stage.json()["errors"][0]["message"]
    unknown = api.post(f"{base}/touchpoints", json={"key": "x", "name": "X", "stage": "three"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "stage"
    bad_metric = api.post(
        f"{base}/touchpoints", json={"key": "x", "name": "X", "stage": "one", "recommended_metric": "x"}
    )
    assert bad_metric.status_code == 422 and bad_metric.json()["errors"][0]["field"] == "recommended_metric"
    assert api.delete(f"{base}/touchpoints/{tp['id']}").status_code == 204
    assert api.delete(f"{base}/touchpoints/{tp['id']}").status_code == 404


def test_making_another_journey_the_default(api: TestClient) -> None:
    old = _default(api)
    new = api.post("/api/v1/journeys", json={"key": "new", "name": "New"}).json()
    assert api.patch(f"/api/v1/journeys/{new['id']}", json={"is_default": True}).json()["is_default"]
    assert _default(api)["key"] == "new"
    assert api.delete(f"/api/v1/journeys/{old['id']}").status_code == 204
    assert api.patch(f"/api/v1/journeys/{new['id']}", json={"is_default": False}).status_code == 422


def test_roles(client: TestClient, db: Database) -> None:
    viewer, agent = make_key(db, Role.viewer), make_key(db, Role.agent)
    assert client.get("/api/v1/journeys", headers=viewer).status_code == 200
    assert client.post("/api/v1/journeys", json={"key": "x", "name": "X"}, headers=agent).status_code == 403
    assert client.get("/api/v1/journeys/999", headers=viewer).status_code == 404
