"""The explorer's search by role (TestClient on the real app, SQLite and PostgreSQL): viewers and agents read texts
with personal data masked, so their search reads the masked texts: a searched email, a name after a cue or a feedback
item's author finds nothing for them (else the list would tell them what the masking hid), words the masked text
keeps are found; analysts and admins search the texts as written. A comment not analysed yet has no stored masked
text, so only analysts find it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.collection import service as collection
from cxloop.collection.enums import FeedbackKind
from cxloop.collection.schemas import FeedbackCreate, ResponseCreate
from cxloop.storage.database import Database
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from tests.factories.surveys import make_survey
from tests.web.conftest import signed_in_client

COMMENT = "Please write to jane.doe@example.com about the refund, I spoke to Mr Brennan"
ITEM = ("Refund came quickly, thank you Sam Okafor", "Sam Okafor", "sam.okafor@example.org")
UNANALYSED = "The zeppelin tour refund is late"


@pytest.fixture
def world(db: Database) -> None:
    """A response and a feedback item, analysed (their masked texts stored), and a response not analysed yet."""
    make_survey(db, key="nps-web")
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        analysed, later = collection.record_responses(
            session,
            items=[
                ResponseCreate(survey="nps-web", nps=3, comment=said, submitted_at=now - timedelta(days=day))
                for day, said in ((1, COMMENT), (2, UNANALYSED))
            ],
        ).ids
        item = collection.record_feedback(
            session,
            items=[
                FeedbackCreate(
                    kind=FeedbackKind.review,
                    source="trustpilot",
                    channel="web",
                    text=ITEM[0],
                    rating=5,
                    author=ITEM[1],
                    author_email=ITEM[2],
                    posted_at=now - timedelta(days=3),
                )
            ],
        ).ids
        text.enrich_items(session, kind=ItemKind.response, ids=[analysed])
        text.enrich_items(session, kind=ItemKind.feedback, ids=item)


def _found(client: TestClient, words: str) -> str:
    page = client.get("/feedback", params={"range": "30d", "q": words})
    assert page.status_code == 200, page.text
    return page.text.split('<p class="small" id="found">', 1)[1].split(" whose", 1)[0].strip()


NOTHING = "0 responses and 0 feedback items"


@pytest.mark.parametrize("role", [Role.viewer, Role.agent])
def test_roles_that_read_masked_texts_search_the_masked_texts(
    client: TestClient, db: Database, world: None, role: Role
) -> None:
    signed_in_client(client, db, role)
    for hidden in ("jane.doe", "example.com", "brennan", "sam", "okafor", "example.org"):
        assert _found(client, hidden) == NOTHING, hidden
    assert _found(client, "REFUND") == "1 response and 1 feedback item"  # words the masking kept, any case
    assert _found(client, "[email]") == "1 response and 0 feedback items"  # what the reader sees is searchable
    assert _found(client, "MAIL") == "1 response and 0 feedback items"  # inside "[EMAIL]": not in the text as written
    assert _found(client, "zeppelin") == NOTHING  # not analysed yet: no masked text to search
    page = client.get("/feedback", params={"range": "30d", "q": "refund"}).text
    assert "jane.doe" not in page and "[EMAIL]" in page and "Okafor" not in page


def test_analysts_search_the_texts_as_written(client: TestClient, db: Database, world: None) -> None:
    signed_in_client(client, db, Role.analyst)
    assert _found(client, "jane.doe") == "1 response and 0 feedback items"
    assert _found(client, "okafor") == "0 responses and 1 feedback item"  # the text names its author
    assert _found(client, "refund") == "2 responses and 1 feedback item"
    assert _found(client, "zeppelin") == "1 response and 0 feedback items"
    assert _found(client, "%") == _found(client, "_") == NOTHING  # no wildcards: the characters themselves
