"""The feedback explorer over HTTP (TestClient on the real app, SQLite and PostgreSQL): survey responses and feedback
items on two tabs, filtered by NPS band, score or rating range, segment, sentiment and theme, with sentiment and
themes on each card and in the CSV; bad filters answer 400 naming the parameter."""

from __future__ import annotations

import csv
import io
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
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from cxloop.web import explorer
from tests.factories.customers import make_customer, make_segment
from tests.factories.surveys import make_survey
from tests.web.conftest import signed_in_client

ANSWERS: list[tuple[str, int, str | None]] = [  # (customer, NPS, comment: the survey asks none of passives)
    ("c-ent", 2, "Billing charged me twice, awful and terrible"),
    ("c-smb", 8, None),
    ("c-ent", 10, "Great support, I love it, excellent"),
]
ITEMS = [  # (customer, kind, rating, text, author)
    ("c-ent", FeedbackKind.review, 1, "Terrible billing, awful experience", None),
    (None, FeedbackKind.review, 5, "Great product, I love it. Jane Roe", "Jane Roe"),
    ("c-smb", FeedbackKind.email, None, "Where do I change my address?", None),
]


@pytest.fixture
def theme_id(db: Database) -> int:
    """The world above, enriched (sentiment), with a rule theme 'Billing'; the theme's id."""
    make_survey(db, key="nps-web")
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        make_customer(session, external_id="c-ent", attributes={"plan": "enterprise"})
        make_customer(session, external_id="c-smb", attributes={"plan": "smb"})
        make_segment(session, "plan = enterprise", key="enterprise", name="Enterprise")
        stored = collection.record_responses(
            session,
            items=[
                ResponseCreate(
                    survey="nps-web", customer_external_id=c, nps=n, comment=t, submitted_at=now - timedelta(days=i)
                )
                for i, (c, n, t) in enumerate(ANSWERS)
            ],
        )
        items = collection.record_feedback(
            session,
            items=[
                FeedbackCreate(
                    kind=k,
                    source="trustpilot" if k == FeedbackKind.review else "zendesk",
                    channel="web",
                    text=t,
                    rating=r,
                    author=a,
                    customer_external_id=c,
                    posted_at=now - timedelta(days=i),
                )
                for i, (c, k, r, t, a) in enumerate(ITEMS)
            ],
        )
        text.enrich_items(session, kind=ItemKind.response, ids=stored.ids)
        text.enrich_items(session, kind=ItemKind.feedback, ids=items.ids)
        return themes.add_rule(session, data=RuleCreate(name="Billing", phrases=["billing"])).id


def _count(client: TestClient, query: str) -> str:
    page = client.get(f"/feedback?range=30d&{query}")
    assert page.status_code == 200, page.text
    return page.text.split('<p class="small">', 1)[1].split(" ·", 1)[0].strip()


def _csv(client: TestClient, query: str) -> list[dict[str, str]]:
    answer = client.get(f"/feedback.csv?range=30d&{query}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_responses_filter_by_band_score_segment_sentiment_and_theme(
    client: TestClient, db: Database, theme_id: int
) -> None:
    signed_in_client(client, db, Role.analyst)
    page = client.get("/feedback?range=30d")
    assert (
        'aria-current="page">Survey responses</a>' in page.text and "Reviews, tickets and other feedback" in page.text
    )
    assert (
        "● negative" in page.text
        and "● positive" in page.text
        and '<span class="chip theme-chip">Billing</span>' in page.text
    )
    assert _count(client, "") == "3 responses"
    assert _count(client, "band=detractor") == "1 response"
    assert _count(client, "band=promoter") == "1 response"
    assert _count(client, "score_min=7&score_max=8") == "1 response"
    assert _count(client, "band=detractor&score_min=5") == "0 responses", "the band and the range together"
    assert _count(client, "segment=enterprise") == "2 responses"
    assert _count(client, "sentiment=positive") == "1 response"
    assert _count(client, "sentiment=negative&segment=enterprise") == "1 response"
    assert _count(client, f"theme={theme_id}&sentiment=positive") == "0 responses"
    assert _count(client, f"theme={theme_id}&sentiment=negative") == "1 response"
    assert (
        "Feedback · negative · detractors · Enterprise · last 30 days"
        in client.get("/feedback?range=30d&segment=enterprise&sentiment=negative&band=detractor").text
    )

    rows = _csv(client, "segment=enterprise")
    assert [(r["nps"], r["sentiment"], r["themes"]) for r in rows] == [
        ("2", "negative", "Billing"),
        ("10", "positive", ""),
    ]
    assert list(rows[0]) == [
        "id",
        "submitted_at",
        "survey",
        "channel",
        "customer",
        "nps",
        "csat",
        "ces",
        "sentiment",
    ] + [
        "themes",
        "comment",
    ]
    assert [r["nps"] for r in _csv(client, "band=promoter")] == ["10"], "the CSV carries what the page shows"


def test_the_count_stops_past_a_bound_and_says_more_than(
    client: TestClient, db: Database, theme_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text search reads every row of the range to count its matches: past COUNT_UP_TO matches beyond the page the
    count stops and the page says "more than"; the CSV still has every row; under the bound the count is exact."""
    signed_in_client(client, db, Role.analyst)
    monkeypatch.setattr(explorer, "COUNT_UP_TO", 1)
    assert _count(client, "") == "More than 1 responses"
    assert _count(client, "q=billing") == "1 response whose comment contains “billing”"
    assert _count(client, "tab=items") == "More than 1 feedback items"
    assert len(_csv(client, "")) == 3
    with db.unit_of_work() as session:
        counted = [collection.list_responses(session, count_up_to=up_to).total for up_to in (None, 1, 2, 3)]
        offset = collection.list_responses(session, limit=1, offset=1, count_up_to=1)
    assert counted == [3, 2, 3, 3]
    assert [len(offset.items), offset.total] == [1, 2]


def test_feedback_items_have_their_own_tab_with_rating_filters(client: TestClient, db: Database, theme_id: int) -> None:
    signed_in_client(client, db, Role.viewer)
    page = client.get("/feedback?range=30d&tab=items")
    assert page.status_code == 200
    assert 'aria-current="page">Reviews, tickets and other feedback</a>' in page.text
    assert "Feedback · Reviews, tickets and other feedback · last 30 days" in page.text
    assert "★ 1" in page.text and "review · trustpilot" in page.text and "email · zendesk" in page.text
    assert "Jane Roe" not in page.text, "a viewer reads an item's author and text masked"
    assert _count(client, "tab=items") == "3 feedback items"
    assert _count(client, "tab=items&score_max=2") == "1 feedback item"
    assert _count(client, "tab=items&score_min=4&score_max=5") == "1 feedback item"
    assert _count(client, "tab=items&segment=enterprise") == "1 feedback item"
    assert _count(client, "tab=items&sentiment=positive") == "1 feedback item"
    assert _count(client, f"tab=items&theme={theme_id}") == "1 feedback item"
    assert _count(client, "tab=items&q=ADDRESS") == "1 feedback item whose text contains “ADDRESS”"
    assert _count(client, "tab=items&channel=email") == "0 feedback items"

    rows = _csv(client, "tab=items")
    assert list(rows[0]) == ["id", "posted_at", "kind", "source", "channel", "customer", "rating", "sentiment"] + [
        "themes",
        "text",
    ]
    assert [(r["rating"], r["kind"], r["customer"], r["themes"]) for r in rows] == [
        ("1", "review", "c-ent", "Billing"),
        ("5", "review", "", ""),
        ("", "email", "c-smb", ""),
    ]
    assert all("Jane Roe" not in r["text"] for r in rows)
    assert [r["rating"] for r in _csv(client, "tab=items&score_min=5")] == ["5"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("tab=reviews", "tab"),
        ("sentiment=happy", "sentiment"),
        ("band=fans", "band"),
        ("tab=items&band=detractor", "band"),
        ("score_min=11", "score_min"),
        ("tab=items&score_max=0", "score_max"),
        ("score_min=abc", "score_min"),
        ("tab=items&survey=nps-web", "survey"),
        ("theme=abc", "theme"),
    ],
)
def test_a_bad_explorer_filter_answers_400_naming_it(client: TestClient, db: Database, query: str, named: str) -> None:
    signed_in_client(client, db, Role.viewer)
    for path in ("/feedback", "/feedback.csv"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 400 and f"<strong>{named}</strong>" in answer.text
