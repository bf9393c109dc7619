"""Comments and feedback texts as each role may read them: masked for viewers and agents (the stored analysis's
masked text, else masked on the fly), as written for analysts and admins, in /api/v1/responses and /feedback (lists
and one item), the customer timeline, and the web app's feedback explorer, customer page and CSV. Both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from cxloop.access.enums import Role
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from cxloop.text.models import TextAnalysis
from tests.conftest import make_key
from tests.factories.customers import customer_data
from tests.text.conftest import add_survey, store_feedback, store_responses
from tests.web.conftest import signed_in_client

COMMENT = "Rude agent. My name is Sam Hill, call 07700 900123"
MASKED = "Rude agent. My name is [NAME], call [PHONE]"
REVIEW = "Refund please, write to sam.hill@example.com"
REVIEW_MASKED = "Refund please, write to [EMAIL]"
BELOW = (Role.viewer, Role.agent)
ABOVE = (Role.analyst, Role.admin)


def _customer(db: Database) -> int:
    with db.unit_of_work(write=True) as session:
        return customers.create_customer(session, data=customer_data(external_id="c-sam")).id


def test_api_lists_and_items_mask_below_analyst(client: TestClient, db: Database) -> None:
    add_survey(db)
    _customer(db)
    ids = store_responses(db, {"nps": 1, "comment": COMMENT, "customer_external_id": "c-sam"}, {"nps": 9})
    feedback = store_feedback(db, {"text": REVIEW, "rating": 1, "customer_external_id": "c-sam"})
    for role in (*BELOW, *ABOVE):
        key = make_key(db, role)
        want, want_review = (MASKED, REVIEW_MASKED) if role in BELOW else (COMMENT, REVIEW)
        listed = client.get("/api/v1/responses", headers=key).json()["items"]
        by_id = {r["id"]: r for r in listed}
        assert by_id[ids[0]]["comment"] == want, role
        assert by_id[ids[1]]["comment"] is None
        one = client.get(f"/api/v1/responses/{ids[0]}", headers=key).json()
        assert one["comment"] == want
        answers = " ".join(str(v) for v in one["answers"].values())
        assert ("07700" in answers) == (role in ABOVE), (role, one["answers"])
        assert client.get("/api/v1/feedback", headers=key).json()["items"][0]["text"] == want_review
        assert client.get(f"/api/v1/feedback/{feedback[0]}", headers=key).json()["text"] == want_review


def test_the_stored_analysis_is_used_else_masked_on_the_fly(client: TestClient, db: Database) -> None:
    add_survey(db)
    ids = store_responses(db, {"nps": 1, "comment": COMMENT}, {"nps": 2, "comment": COMMENT})
    with db.unit_of_work(write=True) as session:  # the first as the enrichment stored it, the second not analysed
        session.execute(update(TextAnalysis).where(TextAnalysis.item_id == ids[0]).values(masked_text="[STORED]"))
        session.execute(delete(TextAnalysis).where(TextAnalysis.item_id == ids[1]))
    key = make_key(db, Role.viewer)
    assert client.get(f"/api/v1/responses/{ids[0]}", headers=key).json()["comment"] == "[STORED]"
    assert client.get(f"/api/v1/responses/{ids[1]}", headers=key).json()["comment"] == MASKED


def test_timeline_masks_feedback_before_cutting_it(client: TestClient, db: Database) -> None:
    customer = _customer(db)
    store_feedback(db, {"text": "x" * 100 + " call 07700 900123 now", "customer_external_id": "c-sam"})
    for role in (*BELOW, *ABOVE):
        items = client.get(f"/api/v1/customers/{customer}/timeline", headers=make_key(db, role)).json()["items"]
        summary = next(i["summary"] for i in items if i["kind"] == "feedback")
        assert ("07700" in summary) == (role in ABOVE), (role, summary)
        assert ("[PHONE]" in summary) == (role in BELOW), (role, summary)


def test_web_pages_and_csv_mask_below_analyst(client: TestClient, db: Database) -> None:
    add_survey(db)
    customer = _customer(db)
    store_responses(db, {"nps": 1, "comment": COMMENT, "customer_external_id": "c-sam"})
    store_feedback(db, {"text": REVIEW, "customer_external_id": "c-sam"})
    for role in (Role.viewer, Role.analyst):
        client.cookies.clear()
        web = signed_in_client(client, db, role)
        pages = [web.get(path) for path in ("/feedback", f"/customers/{customer}", "/feedback.csv")]
        for page in pages:
            assert page.status_code == 200, page.text
            assert ("07700" in page.text) == (role == Role.analyst), (role, page.url)
        assert ("sam.hill@example.com" in pages[1].text) == (role == Role.analyst)
        if role == Role.viewer:
            assert "[PHONE]" in pages[0].text and "[PHONE]" in pages[2].text and "[EMAIL]" in pages[1].text


def test_feedback_authors_are_masked_with_the_text_below_analyst(client: TestClient, db: Database) -> None:
    customer = _customer(db)
    signed = "Sam Hill here: the refund never came. Thanks, Sam"
    store_feedback(
        db,
        {"text": signed, "author": "Sam Hill", "author_email": "sam.hill@example.com", "customer_external_id": "c-sam"},
    )
    for role in (*BELOW, *ABOVE):
        key = make_key(db, role)
        listed = client.get("/api/v1/feedback", headers=key).json()["items"][0]
        one = client.get(f"/api/v1/feedback/{listed['id']}", headers=key).json()
        timeline = client.get(f"/api/v1/customers/{customer}/timeline", headers=key).json()["items"]
        summary = next(i["summary"] for i in timeline if i["kind"] == "feedback")
        if role in BELOW:
            for item in (listed, one):
                assert (item["author"], item["author_email"]) == ("[NAME]", "[EMAIL]"), role
                assert item["text"] == "[NAME] here: the refund never came. Thanks, [NAME]"
            assert "Sam" not in summary and "[NAME] here" in summary
        else:
            for item in (listed, one):
                assert (item["author"], item["author_email"], item["text"]) == (
                    "Sam Hill",
                    "sam.hill@example.com",
                    signed,
                )
            assert "Sam Hill here" in summary
