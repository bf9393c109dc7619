"""Managing widget sites through /api/v1/widget-sites."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.channels.widget.conftest import create_site, feedback_survey, live_survey
from tests.conftest import make_key


def test_an_admin_creates_a_site_with_rules_and_gets_its_script_tag(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    feedback_survey(db)
    site = create_site(
        api,
        channel="in_app",
        feedback_survey="site-feedback",
        rules=[{"survey": "relationship-nps", "url_match": "/checkout/*", "seconds_on_page": 20, "sampling_rate": 0.5}],
    )
    assert site["key"].startswith("ws_")
    assert (
        site["embed"] == f'<script src="http://127.0.0.1:8000/widget.js" data-site-key="{site["key"]}" async></script>'
    )
    assert site["feedback_survey"] == "site-feedback"
    assert site["rules"] == [
        {
            "id": site["rules"][0]["id"],
            "survey": "relationship-nps",
            "url_match": "/checkout/*",
            "event": None,
            "seconds_on_page": 20,
            "sampling_rate": 0.5,
        }
    ]
    listed = api.get("/api/v1/widget-sites").json()
    assert listed["total"] == 1 and listed["items"][0]["key"] == site["key"]
    assert api.get(f"/api/v1/widget-sites/{site['id']}").json()["channel"] == "in_app"


def test_update_replaces_the_rules_and_keeps_the_key(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    changed = api.patch(
        f"/api/v1/widget-sites/{site['id']}",
        json={"name": "Shop EU", "rules": [{"survey": "relationship-nps", "event": "checkout_completed"}]},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["key"] == site["key"] and body["name"] == "Shop EU"
    assert [(r["event"], r["url_match"]) for r in body["rules"]] == [("checkout_completed", None)]
    assert body["allowed_origins"] == ["http://shop.example"]
    assert body["enabled"] is True
    disabled = api.patch(f"/api/v1/widget-sites/{site['id']}", json={"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert disabled.json()["rules"] == body["rules"], "the rules stay"
    assert api.patch(f"/api/v1/widget-sites/{site['id']}", json={"enabled": "no"}).status_code == 422


def test_bad_sites_are_refused_naming_each_field(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    answer = api.post(
        "/api/v1/widget-sites",
        json={
            "name": "Shop",
            "allowed_origins": ["http://shop.example"],
            "rules": [{"survey": "relationship-nps"}, {"survey": "nope"}],
            "feedback_survey": "missing",
        },
    )
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"rules.1.survey", "feedback_survey"}
    bad_origin = api.post("/api/v1/widget-sites", json={"name": "Shop", "allowed_origins": ["shop.example/path"]})
    assert bad_origin.status_code == 422
    assert bad_origin.json()["errors"][0]["field"] == "allowed_origins.0"
    assert api.get("/api/v1/widget-sites").json()["total"] == 0


def test_only_admins_manage_sites_and_deleting_stops_the_key(client: TestClient, api: TestClient, db: Database) -> None:
    viewer = make_key(db, Role.viewer)
    refused = client.post("/api/v1/widget-sites", json={"name": "Shop", "allowed_origins": ["*"]}, headers=viewer)
    assert refused.status_code == 403
    site = create_site(api)
    assert client.get("/api/v1/widget-sites", headers=viewer).status_code == 200
    assert api.delete(f"/api/v1/widget-sites/{site['id']}").status_code == 204
    gone = client.get("/widget/v1/config", params={"site_key": site["key"]}, headers={"Origin": "http://shop.example"})
    assert gone.status_code == 404
    assert api.get(f"/api/v1/widget-sites/{site['id']}").status_code == 404


def test_every_site_route_needs_a_key(client: TestClient) -> None:
    for method, path in [
        ("POST", "/api/v1/widget-sites"),
        ("GET", "/api/v1/widget-sites"),
        ("GET", "/api/v1/widget-sites/1"),
        ("PATCH", "/api/v1/widget-sites/1"),
        ("DELETE", "/api/v1/widget-sites/1"),
    ]:
        assert client.request(method, path).status_code == 401, (method, path)
