"""The feedback explorer over HTTP (TestClient on the real app, SQLite and PostgreSQL): survey responses and feedback
items in one list, newest first, filtered by kind, NPS band, score or rating range, segment, sentiment and theme
(filters about responses only narrow the list to them and say so), with sentiment and themes on each card and in the
CSV; keyset pages through both kinds; bad filters answer 400 naming the parameter."""

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
from cxloop.web import csv_export, explorer
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
    return page.text.split('<p class="small" id="found">', 1)[1].split(" ·", 1)[0].strip()


def _csv(client: TestClient, query: str) -> list[dict[str, str]]:
    answer = client.get(f"/feedback.csv?range=30d&{query}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def _kinds(html: str) -> list[str]:
    """What each row of the list says it is, in order."""
    return [part.split("</span>", 1)[0] for part in html.split('title="what it is">')[1:]]


def test_one_list_merges_responses_and_items_newest_first(client: TestClient, db: Database, theme_id: int) -> None:
    signed_in_client(client, db, Role.analyst)
    page = client.get("/feedback?range=30d")
    assert page.status_code == 200
    # ANSWERS and ITEMS are a day apart each, the first of each today: responses first at the same instant's day
    assert _kinds(page.text) == [
        "Survey response",
        "Review · trustpilot",
        "Survey response",
        "Review · trustpilot",
        "Survey response",
        "Email · zendesk",
    ]
    assert _count(client, "") == "3 responses and 3 feedback items"
    assert _count(client, "segment=enterprise") == "2 responses and 1 feedback item"
    assert _count(client, "sentiment=negative") == "1 response and 1 feedback item"
    assert _count(client, f"theme={theme_id}") == "1 response and 1 feedback item"
    assert _count(client, "q=LOVE") == "1 response and 1 feedback item whose comment or text contains “LOVE”"
    assert _count(client, "channel=email") == "0 responses and 0 feedback items"

    rows = _csv(client, "")
    assert list(rows[0]) == explorer.CSV_HEADERS
    assert [(r["type"], r["nps"], r["rating"], r["kind"], r["themes"]) for r in rows] == [
        ("response", "2", "", "", "Billing"),
        ("feedback item", "", "1", "review", "Billing"),
        ("response", "8", "", "", ""),
        ("feedback item", "", "5", "review", ""),
        ("response", "10", "", "", ""),
        ("feedback item", "", "", "email", ""),
    ]
    assert rows[0]["time"].endswith("+00:00"), "times in the reader's zone (UTC here)"


def test_filters_about_responses_narrow_the_list_and_say_so(client: TestClient, db: Database, theme_id: int) -> None:
    signed_in_client(client, db, Role.analyst)
    assert _count(client, "band=detractor") == "1 response"
    assert _count(client, "band=promoter") == "1 response"
    assert _count(client, "score_min=7&score_max=8") == "1 response"
    assert _count(client, "band=detractor&score_min=5") == "0 responses", "the band and the range together"
    assert _count(client, "survey=nps-web") == "3 responses"
    assert _count(client, "sentiment=negative&segment=enterprise&kind=responses") == "1 response"
    assert _count(client, f"theme={theme_id}&sentiment=positive") == "0 responses and 0 feedback items"
    narrowed = client.get("/feedback?range=30d&survey=nps-web&band=detractor").text
    assert "Survey responses only: a survey and an NPS band apply to survey responses" in narrowed
    assert set(_kinds(narrowed)) == {"Survey response"}
    assert (
        "Feedback · Survey responses · negative · detractors · Enterprise · last 30 days"
        in client.get("/feedback?range=30d&segment=enterprise&sentiment=negative&band=detractor").text
    )
    assert [r["nps"] for r in _csv(client, "band=promoter")] == ["10"], "the CSV carries what the page shows"
    assert [(r["nps"], r["sentiment"]) for r in _csv(client, "kind=responses&segment=enterprise")] == [
        ("2", "negative"),
        ("10", "positive"),
    ]


def test_the_csv_reads_in_batches_and_stops_at_its_cap(
    client: TestClient, db: Database, theme_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CSV is streamed in batches, each read in a unit of work of its own (web/csv_export.py), and stops at the
    cap every web export shares."""
    signed_in_client(client, db, Role.analyst)
    whole = _csv(client, "")
    monkeypatch.setattr(csv_export, "EXPORT_BATCH", 2)
    assert _csv(client, "") == whole, "three batches of two: the same rows in the same order"
    monkeypatch.setattr(csv_export, "EXPORT_ROWS", 5)
    assert _csv(client, "") == whole[:5]


def test_the_count_stops_past_a_bound_and_says_more_than(
    client: TestClient, db: Database, theme_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text search reads every row of the range to count its matches: past COUNT_UP_TO matches of a kind the
    count stops and the page says "more than"; the CSV still has every row; under the bound the count is exact."""
    signed_in_client(client, db, Role.analyst)
    monkeypatch.setattr(explorer, "COUNT_UP_TO", 1)
    assert _count(client, "") == "More than 1 responses and more than 1 feedback items"
    assert _count(client, "q=billing") == "1 response and 1 feedback item whose comment or text contains “billing”"
    assert _count(client, "kind=items") == "More than 1 feedback items"
    assert len(_csv(client, "")) == 6
    with db.unit_of_work() as session:
        counted = [collection.list_responses(session, limit=1, count_up_to=up_to).total for up_to in (None, 1, 2, 3)]
        whole = collection.list_responses(session, limit=50, count_up_to=1).total
    assert counted == [3, 2, 3, 3]
    assert whole == 3  # a page holding every match is its own exact count (nothing read twice)


def test_pages_follow_on_by_keyset_through_both_kinds(
    client: TestClient, db: Database, theme_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 4 over 6 rows: the second starts after the last row shown and holds the rest, nothing twice; two
    rows at the same instant keep the order (responses first, higher id first) across the page break."""
    signed_in_client(client, db, Role.viewer)
    monkeypatch.setattr(explorer, "PAGE_SIZE", 4)
    first = client.get("/feedback?range=30d").text
    assert _kinds(first) == ["Survey response", "Review · trustpilot", "Survey response", "Review · trustpilot"]
    older = first.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "before=i." in older
    second = client.get(older)
    assert second.status_code == 200 and _kinds(second.text) == ["Survey response", "Email · zendesk"]
    assert 'rel="next"' not in second.text and ">Newest</a>" in second.text
    with db.unit_of_work() as session:
        listing = explorer.explorer_list.list_entries
        at = collection.list_responses(session, limit=1).items[0].submitted_at
        same = collection.record_feedback(
            session,
            items=[FeedbackCreate(kind=FeedbackKind.review, source="g2", channel="web", text="x", posted_at=at)] * 2,
        )
        both = {"responses": {}, "items": {}}
        whole = listing(session, both, role=Role.admin, limit=50, after=None, count_up_to=100).entries
        paged, after = [], None
        while True:
            page = listing(session, both, role=Role.admin, limit=2, after=after, count_up_to=100)
            paged += page.entries
            if page.next is None:
                break
            after = page.next
    assert [(e.kind, e.read.id) for e in paged] == [(e.kind, e.read.id) for e in whole]
    assert [(e.kind, e.read.id) for e in whole[:3]] == [
        ("responses", whole[0].read.id),
        ("items", max(same.ids)),
        ("items", min(same.ids)),
    ]


def test_feedback_items_alone_with_rating_filters(client: TestClient, db: Database, theme_id: int) -> None:
    signed_in_client(client, db, Role.viewer)
    page = client.get("/feedback?range=30d&kind=items")
    assert page.status_code == 200
    assert "Feedback · Reviews, tickets and other feedback · last 30 days" in page.text
    assert "★ 1" in page.text and "Review · trustpilot" in page.text and "Email · zendesk" in page.text
    assert "Jane Roe" not in page.text, "a viewer reads an item's author and text masked"
    assert _count(client, "kind=items") == "3 feedback items"
    assert _count(client, "kind=items&score_max=2") == "1 feedback item"
    assert _count(client, "kind=items&score_min=4&score_max=5") == "1 feedback item"
    assert _count(client, "kind=items&segment=enterprise") == "1 feedback item"
    assert _count(client, "kind=items&sentiment=positive") == "1 feedback item"
    assert _count(client, f"kind=items&theme={theme_id}") == "1 feedback item"
    assert _count(client, "kind=items&q=ADDRESS") == "1 feedback item whose text contains “ADDRESS”"
    rows = _csv(client, "kind=items")
    assert [(r["rating"], r["kind"], r["customer"], r["themes"]) for r in rows] == [
        ("1", "review", "c-ent", "Billing"),
        ("5", "review", "", ""),
        ("", "email", "c-smb", ""),
    ]
    assert all("Jane Roe" not in r["text"] for r in _csv(client, ""))
    assert [r["rating"] for r in _csv(client, "kind=items&score_min=5")] == ["5"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("kind=reviews", "kind"),
        ("sentiment=happy", "sentiment"),
        ("band=fans", "band"),
        ("kind=items&band=detractor", "band"),
        ("score_min=11", "score_min"),
        ("kind=items&score_max=0", "score_max"),
        ("score_min=abc", "score_min"),
        ("kind=items&survey=nps-web", "survey"),
        ("theme=abc", "theme"),
        ("before=x.1.2026-01-01", "before"),
        ("before=r.1.yesterday", "before"),
    ],
)
def test_a_bad_explorer_filter_answers_400_naming_it(client: TestClient, db: Database, query: str, named: str) -> None:
    signed_in_client(client, db, Role.viewer)
    for path in ("/feedback", "/feedback.csv"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 400 and f"<strong>{named}</strong>" in answer.text


def test_a_search_reads_a_window_of_the_newest_rows_then_offers_older(
    client: TestClient, db: Database, theme_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search tests every row it reads, so it reads the newest SEARCH_ROWS rows of each kind (here 1: the window
    is the newest two days), counts within them, says which stretch it searched and links to search older; paging
    through the windows finds exactly what one unbounded search finds, nothing twice."""
    signed_in_client(client, db, Role.analyst)
    monkeypatch.setattr(explorer, "SEARCH_ROWS", 1)
    first = client.get("/feedback?range=30d&q=billing").text
    assert _count(client, "q=billing").startswith("1 response and 1 feedback item whose comment or text contains")
    assert "to the end of the range (a search reads the newest 1 of each kind at a time)" in first
    assert len(_kinds(first)) == 2 and 'rel="next">Search older' in first
    page, stretches = first, 0
    while 'rel="next"' in page and stretches < 5:  # below the first stretch: nothing more, and then no link
        link = page.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        page, stretches = client.get(link).text, stretches + 1
        assert "0 responses and 0 feedback items" in page and not _kinds(page)
    assert 'rel="next"' not in page
    with db.unit_of_work() as session:
        now = datetime.now(UTC)
        words = {"text": "e", "since": now - timedelta(days=30), "until": now + timedelta(days=1)}
        both = {"responses": words, "items": words}
        listing = explorer.explorer_list.list_entries
        whole = listing(session, both, role=Role.admin, limit=50, after=None, count_up_to=100).entries
        paged, after, stretches = [], None, 0
        while True:
            page = listing(session, both, role=Role.admin, limit=5, after=after, count_up_to=100, window=1)
            paged += page.entries
            stretches += page.searched_older
            if page.next is None:
                break
            after = page.next
    assert len(whole) == 5 and stretches >= 1
    assert [(e.kind, e.read.id) for e in paged] == [(e.kind, e.read.id) for e in whole]
