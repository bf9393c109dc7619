"""The /surveys API: CRUD, versions, roles and error bodies."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.factories.surveys import nps_definition


def _body(**overrides: object) -> dict[str, object]:
    return {"key": "rnps", "name": "Relationship NPS", "status": "live", "definition": nps_definition(), **overrides}


def test_create_read_update_and_list_versions(api: TestClient) -> None:
    created = api.post("/api/v1/surveys", json=_body())
    assert created.status_code == 201, created.text
    survey = created.json()
    assert survey["current_version"] == 1 and survey["definition"]["questions"][0]["id"] == "q1"
    sid = survey["id"]
    assert api.get(f"/api/v1/surveys/{sid}").json()["key"] == "rnps"

    changed = nps_definition()
    changed["questions"].append({"id": "extra", "kind": "text", "text": {"en": "More?"}})
    patched = api.patch(f"/api/v1/surveys/{sid}", json={"definition": changed, "status": "paused"})
    assert patched.status_code == 200
    assert (patched.json()["current_version"], patched.json()["status"]) == (2, "paused")
    versions = api.get(f"/api/v1/surveys/{sid}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    old = api.get(f"/api/v1/surveys/{sid}/versions/1").json()
    assert [q["id"] for q in old["definition"]["questions"]][-1] == "speed"
    assert api.get(f"/api/v1/surveys/{sid}/versions/9").status_code == 404


def test_list_filters_by_status_and_sorts(api: TestClient) -> None:
    for key, status in [("a", "live"), ("b", "draft"), ("c", "live")]:
        assert api.post("/api/v1/surveys", json=_body(key=key, status=status)).status_code == 201
    page = api.get("/api/v1/surveys", params={"status": "live", "sort": "-key"}).json()
    assert [s["key"] for s in page["items"]] == ["c", "a"] and page["total"] == 2
    bad = api.get("/api/v1/surveys", params={"sort": "colour"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"
    assert api.get("/api/v1/surveys", params={"status": "gone"}).json()["errors"][0]["field"] == "query.status"


def test_bad_definitions_name_the_field(api: TestClient) -> None:
    definition = nps_definition()
    definition["questions"][1]["show_if"] = {"question": "speed", "op": "<=", "value": 3}
    response = api.post("/api/v1/surveys", json=_body(definition=definition))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "definition.questions.1.show_if.question",
            "message": "'speed' is not an earlier question of this survey",
        }
    ]
    dup = api.post("/api/v1/surveys", json=_body())
    assert dup.status_code == 201
    again = api.post("/api/v1/surveys", json=_body())
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "key"
    unknown = api.patch(f"/api/v1/surveys/{dup.json()['id']}", json={"colour": "red"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "colour"


def test_missing_surveys_are_404(api: TestClient) -> None:
    for method, path in [
        ("GET", "/api/v1/surveys/99"),
        ("PATCH", "/api/v1/surveys/99"),
        ("DELETE", "/api/v1/surveys/99"),
    ]:
        response = api.request(method, path, json={} if method == "PATCH" else None)
        assert response.status_code == 404, (method, path)
        assert "99" in response.json()["detail"]


def test_delete_an_unused_survey(api: TestClient) -> None:
    sid = api.post("/api/v1/surveys", json=_body()).json()["id"]
    assert api.delete(f"/api/v1/surveys/{sid}").status_code == 204
    assert api.get(f"/api/v1/surveys/{sid}").status_code == 404


def test_viewers_read_analysts_write(client: TestClient, db: Database) -> None:
    viewer, agent, analyst = make_key(db, Role.viewer), make_key(db, Role.agent), make_key(db, Role.analyst)
    assert client.post("/api/v1/surveys", json=_body(), headers=viewer).status_code == 403
    assert client.post("/api/v1/surveys", json=_body(), headers=agent).status_code == 403
    created = client.post("/api/v1/surveys", json=_body(), headers=analyst)
    assert created.status_code == 201
    sid = created.json()["id"]
    assert client.get(f"/api/v1/surveys/{sid}", headers=viewer).status_code == 200
    assert client.patch(f"/api/v1/surveys/{sid}", json={"name": "x"}, headers=viewer).status_code == 403
    assert client.delete(f"/api/v1/surveys/{sid}", headers=agent).status_code == 403
    assert client.get("/api/v1/surveys").status_code == 401


def test_form_is_localized_with_fallback(api: TestClient) -> None:
    sid = api.post("/api/v1/surveys", json=_body()).json()["id"]
    form = api.get(f"/api/v1/surveys/{sid}/form", params={"locale": "de-CH"}).json()
    assert form["version"] == 1 and form["locale"] == "de-CH"
    assert [q["text"] for q in form["questions"]][:3] == [
        "Wie wahrscheinlich?",
        "Was sollen wir verbessern?",
        "What do you like?",
    ]


def test_templates_are_listed_and_can_be_created(api: TestClient) -> None:
    listed = api.get("/api/v1/survey-templates").json()
    assert [t["key"] for t in listed] == [
        "relationship-nps",
        "post-support-csat",
        "onboarding-ces",
        "post-delivery-csat",
        "site-feedback",
        "case-verify-nps",
        "case-verify-csat",
        "case-verify-ces",
    ]
    created = api.post("/api/v1/surveys", json=listed[2]["survey"])
    assert created.status_code == 201 and created.json()["status"] == "draft"
