"""The journey map's top themes per touchpoint as a stored analysis (TestClient on the real app, SQLite and
PostgreSQL): a large organisation's map shows its live figures at once and its theme chips once the worker has
stored them, equal to the live computation; a small one computes them in the request; both within the page's
filters."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.collection import service as collection
from cxloop.collection.enums import Channel
from cxloop.collection.schemas import ResponseCreate
from cxloop.customers import service as customers
from cxloop.customers.schemas import SegmentCreate
from cxloop.precomputed import registry
from cxloop.precomputed import service as precomputed
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from cxloop.web.filters import parse_filters
from tests.factories.customers import make_customer
from tests.web.conftest import run_queued, signed_in_client
from tests.web.test_journey_page import journey_with_a_bad_touchpoint

CHIP = '<span class="chip" title="40 responses">Billing</span>'


def _stored_and_live(db: Database) -> tuple[Any, Any]:
    view = parse_filters({"range": "30d"}, today=datetime.now(UTC).date())
    params = registry.TopThemesParams(start=view.start, end=view.end)
    since = datetime.combine(view.start, time.min, UTC)
    with db.unit_of_work() as session:
        row = precomputed.find(session, registry.TOP_THEMES, params)
        assert row is not None and row.result is not None
        live = themes.top_themes_by_touchpoint(session, since=since, until=since + timedelta(days=view.days))
        return registry.TOP_THEMES.load(row.result), live


def test_a_large_organisation_reads_the_top_themes_from_their_stored_result(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.analyst)
    journey_with_a_bad_touchpoint(db)
    page = large.get("/journey?range=30d")
    assert page.status_code == 200, page.text
    assert "The top themes per touchpoint are being computed" in page.text and len(queued) == 1
    assert 'hx-select="#journey-map"' in page.text and CHIP not in page.text
    assert "n = 40 · below the journey, significant" in page.text  # the figures are live, at once

    run_queued(db, queued)
    ready = large.get("/journey?range=30d")
    assert ready.status_code == 200 and "being computed" not in ready.text
    assert CHIP in ready.text and "As of" in ready.text and "Refresh now" in ready.text
    assert 'name="back" value="/journey?range=30d"' in ready.text
    stored, live = _stored_and_live(db)
    assert stored == live and [name for name, _ in next(iter(stored.values()))] == ["Billing"]
    assert large.get("/journey?range=30d&metric=mood").status_code == 400  # checked in the request
    assert not queued


def test_refresh_now_sends_the_analyst_back_to_the_journey(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    client = signed_in_client(large, db, Role.analyst)
    journey_with_a_bad_touchpoint(db)
    large.get("/journey?range=30d")
    run_queued(db, queued)
    page = large.get("/journey?range=30d").text
    result_id = page.split('action="/analyses/')[1].split("/")[0]
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        f"/analyses/{result_id}/refresh",
        data={"csrf_token": token, "back": "/journey?range=30d"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/journey?range=30d"
    assert len(queued) == 1


def test_a_small_organisation_computes_the_top_themes_in_the_request(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    journey_with_a_bad_touchpoint(db)
    page = client.get("/journey?range=30d")
    assert page.status_code == 200 and CHIP in page.text and "As of" in page.text
    assert "Refresh now" not in page.text  # viewers read; analysts refresh
    stored, live = _stored_and_live(db)
    assert stored == live


def _vip_billing_by_email(db: Database) -> None:
    """Five more answers at sign-up about billing again, by email, from a customer of the segment `vip`; the theme
    "Billing again" is added after them (a rule theme finds the comments already there)."""
    with db.unit_of_work() as session:
        make_customer(session, external_id="vip-1", attributes={"plan": "vip"})
        customers.create_segment(session, data=SegmentCreate(key="vip", name="VIP", filter="plan = vip"))
        collection.record_responses(
            session,
            items=[
                ResponseCreate(
                    survey="nps-web",
                    touchpoint="signup",
                    channel=Channel.email,
                    customer_external_id="vip-1",
                    nps=3,
                    comment="billing again",
                    submitted_at=datetime.now(UTC) - timedelta(days=2),
                )
                for _ in range(5)
            ],
        )
        themes.add_rule(session, data=RuleCreate(name="Billing again", phrases=["billing again"]))


def _chips(page: str) -> list[str]:
    return [chip.split(">")[0] for chip in page.split('<span class="chip" title="')[1:]]


def test_the_top_themes_honour_the_pages_filters(client: TestClient, db: Database) -> None:
    """Each filter of the bar (segment, channel, stage, touchpoint, survey) narrows the responses the chips count, as
    it narrows the figures; a filter naming nothing is a 400 naming it."""
    signed_in_client(client, db, Role.viewer)
    journey_with_a_bad_touchpoint(db)
    _vip_billing_by_email(db)
    assert _chips(client.get("/journey?range=30d").text) == ['5 responses"', '40 responses"']
    for narrowed in ("segment=vip", "channel=email", "touchpoint=signup", "stage=start"):
        page = client.get(f"/journey?range=30d&{narrowed}")
        assert page.status_code == 200 and _chips(page.text) == ['5 responses"'], narrowed
    assert _chips(client.get("/journey?range=30d&channel=sms").text) == []
    assert _chips(client.get("/journey?range=30d&survey=nps-web&stage=help").text) == ['40 responses"']
    refused = client.get("/journey?range=30d&segment=nope")
    assert refused.status_code == 400 and "segment" in refused.text and "there is no segment" in refused.text


def test_a_large_organisation_reads_the_filtered_top_themes_from_their_own_stored_result(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.analyst)
    journey_with_a_bad_touchpoint(db)
    _vip_billing_by_email(db)
    assert "being computed" in large.get("/journey?range=30d&segment=vip").text and len(queued) == 1
    run_queued(db, queued)
    assert _chips(large.get("/journey?range=30d&segment=vip").text) == ['5 responses"']
    view = parse_filters({"range": "30d"}, today=datetime.now(UTC).date())
    with db.unit_of_work() as session:
        row = precomputed.find(session, registry.TOP_THEMES, registry.TopThemesParams(start=view.start, end=view.end))
        assert row is None  # the unfiltered map has a result of its own, not computed yet
    assert large.get("/journey?range=30d&channel=fax").status_code == 400 and not queued  # refused, never queued
