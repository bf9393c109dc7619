"""/api/v1/text over HTTP: on-demand analysis and its 4xx for empty, huge and non-text input; an item's analysis
with the comment as written for analysts and masked for viewers and agents; the sentiment model status. Both
databases."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from cxloop.text.routes import ANALYSE_MAX_BYTES
from tests.conftest import make_key
from tests.text.conftest import add_survey, store_feedback, store_responses


def test_analyse_on_demand(api: TestClient) -> None:
    reply = api.post("/api/v1/text/analyse", json={"text": "Awful. Nobody called back, email me at a.b@example.com"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["sentiment"]["label"] == "negative" and -1 <= body["sentiment"]["score"] < 0
    assert body["masked_text"] == "Awful. Nobody called back, email me at [EMAIL]"
    assert body["pii"] == {"EMAIL": 1} and body["language"] == "en" and body["model"] == "lexicon-1"
    assert body["key_phrases"]


def test_bad_text_is_a_4xx_naming_the_field(api: TestClient) -> None:
    for bad in ("", "   \n ", 42, None, ["a"], "a\x00b"):
        reply = api.post("/api/v1/text/analyse", json={"text": bad})
        assert reply.status_code == 422, (bad, reply.text)
        assert [e["field"] for e in reply.json()["errors"]] == ["text"]
    assert api.post("/api/v1/text/analyse", json={}).status_code == 422
    assert api.post("/api/v1/text/analyse", json={"text": "ok", "extra": 1}).status_code == 422
    too_long = api.post("/api/v1/text/analyse", json={"text": "a" * 20_001})
    assert too_long.status_code == 422 and "20000" in too_long.text.replace(",", "")
    huge = api.post(
        "/api/v1/text/analyse",
        content=b'{"text": "' + b"a" * (ANALYSE_MAX_BYTES + 10) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413


def test_item_analysis_is_masked_below_analyst(client: TestClient, db: Database, api: TestClient) -> None:
    add_survey(db)
    comment = "Rude agent. My name is Sam Hill, call 07700 900123"
    ids = store_responses(db, {"nps": 1, "comment": comment}, {"nps": 9})
    feedback = store_feedback(db, {"text": "Lovely people, thanks Anna!", "rating": 5})
    full = api.get(f"/api/v1/text/responses/{ids[0]}")
    assert full.status_code == 200, full.text
    assert full.json()["text"] == comment
    assert full.json()["masked_text"] == "Rude agent. My name is [NAME], call [PHONE]"
    for role in (Role.viewer, Role.agent):
        shown = client.get(f"/api/v1/text/responses/{ids[0]}", headers=make_key(db, role)).json()
        assert shown["text"] == shown["masked_text"] and "Sam" not in shown["text"] and "07700" not in shown["text"]
    analyst = client.get(f"/api/v1/text/responses/{ids[0]}", headers=make_key(db, Role.analyst)).json()
    assert analyst["text"] == comment
    item = api.get(f"/api/v1/text/feedback/{feedback[0]}").json()
    assert item["sentiment"]["label"] == "positive" and item["item_kind"] == "feedback"
    no_comment = api.get(f"/api/v1/text/responses/{ids[1]}")
    assert no_comment.status_code == 404 and "no text analysis" in no_comment.text
    assert api.get(f"/api/v1/text/responses/{ids[1] + 100}").status_code == 404


def test_sentiment_model_status_before_learning(api: TestClient) -> None:
    body = api.get("/api/v1/text/sentiment-model").json()
    assert body == {"in_use": "lexicon-1", "latest": None, "labelled_comments": 0}
