"""/api/v1/themes over HTTP on both databases: discovery, the list with its figures, one theme with examples, the
taxonomy edits with their audit entries, and bad input refused with a 422 naming the field (404 for unknown themes)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cxloop.audit import service as audit
from cxloop.storage.database import Database
from tests.text.themes.conftest import add_survey, run_queued, store_topics, theme_of_topic


def errors_of(reply: Any) -> dict[str, str]:
    assert reply.status_code == 422, reply.text
    return {e["field"]: e["message"] for e in reply.json()["errors"]}


def discovered(api: TestClient, db: Database, **body: Any) -> dict[str, Any]:
    """Queue a run over HTTP (202 and where to look), let the worker run it, and read it back."""
    queued = api.post("/api/v1/themes/discover", json=body)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued" and queued.json()["finished_at"] is None
    assert queued.headers["location"] == f"/api/v1/themes/runs/{queued.json()['id']}"
    run_queued(db)
    done = api.get(queued.headers["location"])
    assert done.status_code == 200 and done.json()["status"] == "done", done.text
    return dict(done.json())


def test_discover_list_show_and_edit_over_http(api: TestClient, db: Database) -> None:
    add_survey(db)
    topics = store_topics(db, 30)
    queued = api.post("/api/v1/themes/discover", json={"limit": 1000})
    assert queued.status_code == 202 and queued.json()["themes_found"] == 0
    busy = api.post("/api/v1/themes/discover", json={})
    assert busy.status_code == 409 and f"run {queued.json()['id']} is queued" in busy.text
    run_queued(db)
    run = api.get(f"/api/v1/themes/runs/{queued.json()['id']}").json()
    assert run["status"] == "done" and run["requested_limit"] == 1000 and run["error"] is None
    assert run["themes_found"] == 4 and run["items"] == 120 and run["embedder"] == "lsa"
    ids = theme_of_topic(db, topics)
    listed = api.get("/api/v1/themes").json()
    assert [t["volume"] for t in listed] == [30, 30, 30, 30]
    billing = next(t for t in listed if t["id"] == ids["billing"])
    assert billing["impact"]["difference"] < 0 and billing["impact"]["significant"]
    assert billing["kind"] == "discovered" and len(billing["trend"]) == 12

    shown = api.get(f"/api/v1/themes/{ids['delivery']}").json()
    assert len(shown["examples"]) == 5 and len(shown["key_phrases"]) >= 3
    items = api.get(f"/api/v1/themes/{ids['delivery']}/items", params={"limit": 100}).json()
    assert items["total"] == 30 and len(items["items"]) == 30
    assert {i["item_id"] for i in items["items"]} == {i for i, t in topics.items() if t == "delivery"}

    renamed = api.patch(f"/api/v1/themes/{ids['billing']}", json={"name": "  Billing trouble ", "pinned": True})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["user_named"], renamed.json()["pinned"]) == (
        "Billing trouble",
        True,
        True,
    )
    rule = api.post("/api/v1/themes", json={"name": "Refunds", "phrases": ["Refund", "money back"]})
    assert rule.status_code == 201, rule.text
    assert rule.json()["kind"] == "rule" and rule.json()["phrases"] == ["refund", "money back"]
    assert rule.json()["volume"] > 0
    merged = api.post("/api/v1/themes/merge", json={"theme_ids": [ids["app"]], "into": ids["staff"]})
    assert merged.status_code == 200 and merged.json()["volume"] == 60
    split = api.post(f"/api/v1/themes/{ids['delivery']}/split", json={"groups": [["courier"]]})
    assert split.status_code == 201 and split.json()[0]["name"] == "courier" and split.json()[0]["volume"] > 0
    assert discovered(api, db)["kept"] >= 3

    with db.unit_of_work() as session:
        entries = audit.list_entries(session, target_type="theme", limit=20).items
    actions = [e.action for e in reversed(entries)]
    assert actions == [
        "theme.discovered",
        "theme.updated",
        "theme.created",
        "theme.merged",
        "theme.split",
        "theme.discovered",
    ]
    update = next(e for e in entries if e.action == "theme.updated")
    assert update.changes == {"name": [billing["name"], "Billing trouble"], "pinned": [False, True]}


def test_bad_input_is_refused_naming_the_field(api: TestClient, db: Database) -> None:
    assert "phrases" in errors_of(api.post("/api/v1/themes", json={"name": "x", "phrases": []}))
    assert "letter or digit" in errors_of(api.post("/api/v1/themes", json={"name": "x", "phrases": ["  "]}))["phrases"]
    assert "name" in errors_of(api.post("/api/v1/themes", json={"name": " ", "phrases": ["a"]}))
    assert "phrases.0" in errors_of(api.post("/api/v1/themes", json={"name": "x", "phrases": ["x" * 101]}))
    assert "colour" in errors_of(api.patch("/api/v1/themes/1", json={"colour": "red"}))
    assert "limit" in errors_of(api.post("/api/v1/themes/discover", json={"limit": 10**9}))
    assert "embedder" in errors_of(api.post("/api/v1/themes/discover", json={"embedder": "gpt"}))
    assert "into" in errors_of(api.post("/api/v1/themes/merge", json={"theme_ids": [1], "into": "one"}))
    assert "groups" in errors_of(api.post("/api/v1/themes/1/split", json={"groups": []}))
    assert api.get("/api/v1/themes/999").status_code == 404
    assert api.get("/api/v1/themes/runs/999").status_code == 404
    assert api.patch("/api/v1/themes/999", json={"name": "x"}).status_code == 404
    assert api.get("/api/v1/themes/0").status_code == 422
    rule = api.post("/api/v1/themes", json={"name": "Refunds", "phrases": ["refund"]}).json()["id"]
    same = errors_of(api.post("/api/v1/themes/merge", json={"theme_ids": [rule], "into": rule}))
    assert same == {"theme_ids.0": "a theme cannot be merged into itself"}
    assert api.post("/api/v1/themes/merge", json={"theme_ids": [999], "into": rule}).status_code == 404
    # nothing to discover in an empty database: a run with no themes, not an error
    empty = discovered(api, db)
    assert empty["themes_found"] == 0 and empty["items"] == 0
