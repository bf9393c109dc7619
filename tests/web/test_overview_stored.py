"""The overview within filters (web/overview.py `grouped`; TestClient on the real app, SQLite and PostgreSQL): the
panels the rollups answer are computed live; a breakdown within a filter (the rollups hold one dimension at a time)
is read from its stored analysis, the same computation, shown with its time, or a panel HTMX polls while the worker
computes it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.access.enums import Role
from cxloop.analytics import service as analytics
from cxloop.analytics.enums import GroupKey, MetricKind
from cxloop.analytics.schemas import MetricQuery
from cxloop.precomputed import registry
from cxloop.precomputed import service as precomputed
from cxloop.precomputed.models import PrecomputedResult
from cxloop.storage.database import Database
from tests.analytics.test_drivers import AT
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey
from tests.web.conftest import run_queued, signed_in_client
from tests.web.test_insights_pages import MARCH

START, END = date(2026, 3, 1), date(2026, 3, 31)


def _answers(db: Database) -> None:
    """300 NPS answers in March 2026 by email, SMS and the web, from 60 customers in two overlapping segments."""
    with db.unit_of_work() as session:
        survey = add_survey(session)
        people = add_customers(session, 60, start=7000)
        add_segment(session, "retail", people[:40], name="Retail")
        add_segment(session, "smb", people[20:], name="SMB")
        channels = ("email", "sms", "web")
        add_scored(
            session,
            [
                Scored(AT + timedelta(hours=i), survey, people[i % 60], channel=channels[i % 3], nps=(i * 7) % 11)
                for i in range(300)
            ],
        )


def _live(db: Database, by: GroupKey, **filters: str) -> Any:
    with db.unit_of_work() as session:
        query = MetricQuery(metric=MetricKind.nps, group_by=[by], start=START, end=END, **filters)
        return analytics.compute_metric(session, query=query)


def _stored(db: Database, by: GroupKey, **filters: str) -> Any:
    params = registry.GroupedMetricParams(metric=MetricKind.nps, by=by, tz="UTC", start=START, end=END, **filters)
    with db.unit_of_work() as session:
        row = precomputed.find(session, registry.GROUPED_METRIC, params)
        assert row is not None and row.result is not None
        return registry.GROUPED_METRIC.load(row.result)


def test_the_breakdowns_within_a_filter_are_stored_and_equal_the_live_computation(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.analyst)
    _answers(db)
    url = f"/?{MARCH}&segment=retail"
    page = large.get(url)
    assert page.status_code == 200
    # By channel and by stage within the segment need raw rows: being computed. Cards, trend and the breakdown by
    # segment itself come from the rollups, at once.
    assert page.text.count("is being computed") == 2 and len(queued) == 2
    assert 'hx-select="#by-channel-result"' in page.text and 'hx-select="#by-stage-result"' in page.text
    assert '<div id="by-segment-result">' in page.text and 'data-chart="trend"' in page.text
    assert "n = 200" in " ".join(page.text.split())  # the segment's 40 customers gave 200 answers

    run_queued(db, queued)
    ready = large.get(url)
    assert ready.status_code == 200 and "is being computed" not in ready.text and ready.text.count("As of") == 2
    assert "Refresh now" in ready.text and 'name="back" value="/?range=custom' in ready.text
    for by in (GroupKey.channel, GroupKey.stage):
        stored = _stored(db, by, segment="retail")
        assert stored == _live(db, by, segment="retail")
        assert stored.path.value == "raw"
    channels = _stored(db, GroupKey.channel, segment="retail").groups
    assert sorted(g.keys["channel"] for g in channels) == ["email", "sms", "web"]
    assert sum(g.n for g in channels) == 200
    for group in channels:
        assert f">{group.n}<" in ready.text


def _comparisons(db: Database, **filters: str) -> tuple[Any, Any]:
    """The NPS card's stored comparison and the live one, over March against February."""
    params = registry.MetricParams(metric=MetricKind.nps, tz="UTC", start=START, end=END, **filters)
    with db.unit_of_work() as session:
        row = precomputed.find(session, registry.COMPARISON, params)
        assert row is not None and row.result is not None
        before = MetricQuery(metric=MetricKind.nps, start=date(2026, 1, 29), end=date(2026, 2, 28), **filters)
        live = analytics.compare_periods(session, query=params.query(), previous=before)
        return registry.COMPARISON.load(row.result), live


def test_two_filters_store_the_trend_and_the_score_cards_as_well(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.viewer)
    _answers(db)
    url = f"/?{MARCH}&segment=smb&channel=sms"
    page = large.get(url)
    # The trend, the three breakdowns and the three score cards read raw rows within two filters.
    assert page.status_code == 200 and page.text.count("is being computed") == 7 and len(queued) == 7
    assert 'hx-select="#trend-result"' in page.text and 'hx-select="#card-ces-result"' in page.text
    run_queued(db, queued)
    ready = large.get(url)
    assert "is being computed" not in ready.text and 'data-chart="trend"' in ready.text
    assert ready.text.count("As of") == 7 and '<div id="card-nps-result">' in ready.text
    assert "Refresh now" not in ready.text  # viewers read; analysts refresh
    assert _stored(db, GroupKey.day, segment="smb", channel="sms") == _live(
        db, GroupKey.day, segment="smb", channel="sms"
    )
    stored, live = _comparisons(db, segment="smb", channel="sms")
    assert stored == live and stored.current.n == 65  # 13 of smb's customers answer by SMS, 5 times each
    assert stored.previous.n == 0 and stored.change is None
    words = " ".join(ready.text.split())
    assert "n = 65" in words and "nothing to compare with" in words
    # A bad filter is refused in the request, with nothing queued.
    bad = large.get(f"/?{MARCH}&segment=smb&survey=nope")
    assert bad.status_code == 400 and "survey" in bad.text and not queued


def test_the_unfiltered_overview_reads_the_rollups_and_stores_nothing(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.viewer)
    _answers(db)
    page = large.get(f"/?{MARCH}")
    assert page.status_code == 200 and "is being computed" not in page.text and "As of" not in page.text
    assert not queued
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PrecomputedResult)) == 0
    assert large.get(f"/?{MARCH}&segment=nope&channel=sms").status_code == 400  # checked live, not by the worker
    assert large.get(f"/?{MARCH}&segment=retail&channel=fax").status_code == 400 and not queued


def test_a_small_organisation_computes_the_filtered_breakdowns_in_the_request(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    _answers(db)
    page = client.get(f"/?{MARCH}&channel=web")
    assert page.status_code == 200 and "is being computed" not in page.text and page.text.count("As of") == 2
    assert _stored(db, GroupKey.segment, channel="web") == _live(db, GroupKey.segment, channel="web")
