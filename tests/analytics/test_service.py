"""compute_metric on small hand-worked data: periods and their change, filters, date ranges in a zone, bad input."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select

from cxloop.analytics import rollups
from cxloop.analytics import service as analytics
from cxloop.analytics.schemas import MetricQuery
from cxloop.core.errors import InvalidInput
from cxloop.journeys.models import Touchpoint
from cxloop.storage.database import Database
from tests.factories.responses import (
    Scored,
    add_account,
    add_customers,
    add_scored,
    add_segment,
    add_survey,
    random_scored,
    random_world,
)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_nps_by_month_with_change_from_the_month_before_the_range(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = add_survey(session)
        scores = {date(2025, 1, 10): [10] * 5 + [0] * 5, date(2025, 2, 10): [10] * 9 + [5], date(2025, 3, 10): [9, 8]}
        add_scored(session, [Scored(at(d), survey, nps=s) for d, values in scores.items() for s in values])
        result = analytics.compute_metric(
            session, query=MetricQuery(metric="nps", group_by=["month"], start=date(2025, 2, 1))
        )
    assert result.path == "rollup"
    assert [g.keys for g in result.groups] == [{"month": "2025-02"}, {"month": "2025-03"}]
    february, march = result.groups
    assert (february.value, february.n, february.promoters, february.detractors) == (80.0, 10, 9, 1)
    # January (before the range) is 0: +80 points with n=10 each is significant
    assert february.change == pytest.approx(80.0)
    assert february.change_significant is True
    assert march.value == pytest.approx(50.0) and march.change == pytest.approx(-30.0)
    assert march.change_significant is False
    assert result.total.n == 12  # January is not in the total
    assert result.total.value == pytest.approx((10 - 1) / 12 * 100)
    assert result.filters == {"start": "2025-02-01"}


def test_end_date_is_inclusive_in_the_zone(db: Database) -> None:
    late = datetime(2025, 3, 31, 23, 30, tzinfo=UTC)  # 1 April 00:30 in London (summer time)
    with db.unit_of_work() as session:
        survey = add_survey(session)
        add_scored(
            session, [Scored(late, survey, nps=10), Scored(datetime(2025, 3, 31, 22, 30, tzinfo=UTC), survey, nps=0)]
        )
        in_utc = analytics.compute_metric(session, query=MetricQuery(metric="nps", end=date(2025, 3, 31)))
        in_london = analytics.compute_metric(
            session, query=MetricQuery(metric="nps", end=date(2025, 3, 31), tz="Europe/London")
        )
        by_day = analytics.compute_metric(
            session, query=MetricQuery(metric="nps", group_by=["day"], tz="Europe/London")
        )
    assert in_utc.total.n == 2
    assert in_london.total.n == 1 and in_london.total.value == -100.0
    assert in_london.path == "raw"  # London is not rolled up by default
    assert [(g.keys["day"], g.n) for g in by_day.groups] == [("2025-03-31", 1), ("2025-04-01", 1)]


def test_a_customer_in_two_segments_counts_in_both(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = add_survey(session)
        account = add_account(session, "acme", "Acme Ltd")
        first, second, third = add_customers(session, 3, accounts=[account, None, None])
        add_segment(session, "enterprise", [first, second], name="Enterprise")
        add_segment(session, "at-risk", [first], name="At risk")
        moment = at(date(2025, 5, 5))
        add_scored(
            session,
            [
                Scored(moment, survey, first, nps=0),
                Scored(moment, survey, second, nps=10),
                Scored(moment, survey, third, nps=10),
            ],
        )
        by_segment = analytics.compute_metric(session, query=MetricQuery(metric="nps", group_by=["segment"]))
        by_account = analytics.compute_metric(session, query=MetricQuery(metric="nps", group_by=["account"]))
        only_risk = analytics.compute_metric(session, query=MetricQuery(metric="nps", segment="at-risk"))
    groups = {g.keys["segment"]: g for g in by_segment.groups}
    assert set(groups) == {"at-risk", "enterprise"}  # customers in no segment are in no segment group
    assert (groups["enterprise"].n, groups["enterprise"].value) == (2, 0.0)
    assert (groups["at-risk"].n, groups["at-risk"].value) == (1, -100.0)
    assert groups["enterprise"].labels == {"segment": "Enterprise"}
    assert by_segment.total.n == 3  # the total counts each response once
    assert [(g.keys["account"], g.labels["account"], g.n) for g in by_account.groups] == [
        ("acme", "Acme Ltd", 1),
        (None, None, 2),
    ]
    assert by_account.path == "raw"
    assert (only_risk.total.n, only_risk.path) == (1, "rollup")


def test_csat_counts_rated_feedback_and_ces_reports_easy_share(db: Database) -> None:
    moment = at(date(2025, 6, 1))
    with db.unit_of_work() as session:
        survey = add_survey(session)
        add_scored(
            session,
            [
                Scored(moment, survey, csat=5, ces=7),
                Scored(moment, survey, csat=2, ces=3),
                Scored(moment, None, channel="review", csat=4),
            ],
        )
        both = analytics.compute_metric(session, query=MetricQuery(metric="csat"))
        responses = analytics.compute_metric(session, query=MetricQuery(metric="csat", source="responses"))
        reviews = analytics.compute_metric(session, query=MetricQuery(metric="csat", channel="review"))
        ces = analytics.compute_metric(session, query=MetricQuery(metric="ces", group_by=["quarter"]))
    assert (both.total.n, both.total.satisfied, both.total.mean) == (3, 2, pytest.approx(11 / 3))
    assert responses.total.n == 2 and responses.total.value == 50.0
    # n = 1: Wilson for 1 of 1 (lower bound 1 / (1 + z^2)), flagged as too few to read
    assert reviews.total.n == 1 and reviews.total.ci_low == pytest.approx(100 / (1 + 1.959963984540054**2))
    assert reviews.total.small_sample is True
    (quarter,) = ces.groups
    assert quarter.keys == {"quarter": "2025-Q2"}
    assert (quarter.value, quarter.easy, quarter.easy_pct) == (5.0, 1, 50.0)
    assert quarter.change is None and quarter.change_significant is False


def test_unknown_filter_keys_name_the_field(db: Database) -> None:
    with db.unit_of_work() as session, pytest.raises(InvalidInput) as caught:
        analytics.compute_metric(
            session,
            query=MetricQuery(metric="nps", segment="nope", stage="nowhere", survey="x", account="y", channel="pigeon"),
        )
    fields = {e.field: e.message for e in caught.value.errors}
    assert set(fields) == {"segment", "stage", "survey", "account", "channel"}
    assert "nope" in fields["segment"] and "pigeon" in fields["channel"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"metric": "nps", "tz": "Mars/Olympus"}, "tz"),
        ({"metric": "nps", "group_by": ["month", "week"]}, "group_by"),
        ({"metric": "nps", "group_by": ["segment", "segment"]}, "group_by"),
        ({"metric": "nps", "start": date(2025, 2, 1), "end": date(2025, 1, 1)}, "end"),
    ],
)
def test_bad_queries_name_the_field(db: Database, query: dict[str, object], field: str) -> None:
    with db.unit_of_work() as session, pytest.raises(InvalidInput) as caught:
        analytics.compute_metric(session, query=MetricQuery.model_validate(query))
    assert [e.field for e in caught.value.errors] == [field]


def test_parse_query_reads_text_and_names_bad_fields() -> None:
    query = analytics.parse_query(
        metric="csat",
        group_by="month, segment",
        start="2025-01-01",
        end="2025-02-01T10:00:00Z",
        filters={"segment": "enterprise", "stage": None},
    )
    assert query.group_by == ["month", "segment"] and query.segment == "enterprise" and query.stage is None
    assert query.start == date(2025, 1, 1) and query.end == datetime(2025, 2, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidInput) as caught:
        analytics.parse_query(metric="wow", group_by="month,colour", start="yesterday", source="rumours")
    assert [e.field for e in caught.value.errors] == ["metric", "group_by", "source", "start"]


def test_a_deleted_touchpoint_folds_into_the_null_group_on_both_paths(db: Database) -> None:
    moment = at(date(2025, 7, 1))
    previous = rollups.rolled_up_timezones()
    with db.unit_of_work() as session:
        survey = add_survey(session)
        first_use = session.scalars(select(Touchpoint).where(Touchpoint.key == "first-use")).one()
        sign_up = session.scalars(select(Touchpoint).where(Touchpoint.key == "sign-up")).one()
        add_scored(
            session,
            [
                Scored(moment, survey, touchpoint_id=first_use.id, nps=10),
                Scored(moment, survey, touchpoint_id=sign_up.id, nps=0),
                Scored(moment, survey, nps=5),
            ],
        )
        session.delete(first_use)  # its responses keep their row, with touchpoint_id set to NULL
    query = MetricQuery(metric="nps", group_by=["touchpoint"])
    with db.unit_of_work() as session:
        from_rollups = analytics.compute_metric(session, query=query)
        rollups.configure([])
        try:
            from_raw = analytics.compute_metric(session, query=query)
        finally:
            rollups.configure(previous)
    assert from_rollups.path == "rollup" and from_raw.path == "raw"
    assert from_rollups.model_dump(exclude={"path"}) == from_raw.model_dump(exclude={"path"})
    assert [(g.keys["touchpoint"], g.n) for g in from_rollups.groups] == [("sign-up", 1), (None, 2)]


def test_compare_periods_gives_both_totals_and_the_tested_change(db: Database) -> None:
    """The same numbers as `compute_metric`'s time groups: February against January, any range, filters kept."""
    with db.unit_of_work() as session:
        survey = add_survey(session)
        scores = {date(2025, 1, 10): [10] * 5 + [0] * 5, date(2025, 2, 10): [10] * 9 + [5], date(2025, 3, 10): [9, 8]}
        add_scored(session, [Scored(at(d), survey, nps=s) for d, values in scores.items() for s in values])
        add_scored(session, [Scored(at(date(2025, 2, 11)), survey, nps=0, channel="sms")])

        def query(start: date, end: date, **filters: str) -> MetricQuery:
            return MetricQuery(metric="nps", start=start, end=end, **filters)

        february = analytics.compare_periods(
            session,
            query=query(date(2025, 2, 1), date(2025, 2, 28), channel="email"),
            previous=query(date(2025, 1, 1), date(2025, 1, 31), channel="email"),
        )
        grouped = analytics.compute_metric(
            session, query=MetricQuery(metric="nps", group_by=["month"], channel="email", start=date(2025, 2, 1))
        )
        ces = analytics.compare_periods(
            session,
            query=MetricQuery(metric="ces", start=date(2025, 2, 1)),
            previous=MetricQuery(metric="ces", end=date(2025, 1, 31)),
        )
        with pytest.raises(InvalidInput) as mixed:
            analytics.compare_periods(session, query=MetricQuery(metric="nps"), previous=MetricQuery(metric="csat"))
    assert (february.current.n, february.previous.n) == (10, 10)  # the sms answer is filtered out
    assert (february.current.value, february.previous.value) == (80.0, 0.0)
    assert february.change == pytest.approx(grouped.groups[0].change)
    assert february.significant is grouped.groups[0].change_significant is True
    assert (ces.current.n, ces.previous.n, ces.change, ces.significant) == (0, 0, None, False)
    assert mixed.value.errors[0].field == "metric"


def test_a_grouped_query_the_rollups_cannot_answer_takes_its_total_from_them(db: Database) -> None:
    """By segment within a channel needs raw rows for the groups (rollups hold one dimension at a time); its total
    (the channel alone) is read from the rollups, with the same figures as a raw recount."""
    query = MetricQuery(metric="nps", group_by=["segment"], channel="email", start=date(2025, 1, 1))
    with db.unit_of_work() as session:
        world = random_world(session, seed=14)
        add_scored(session, random_scored(random.Random(14), world, 400))
        read: list[str] = []
        listen = lambda *args: read.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            mixed = analytics.compute_metric(session, query=query)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        configured = rollups.rolled_up_timezones()
        rollups.configure([])
        try:
            raw = analytics.compute_metric(session, query=query)
        finally:
            rollups.configure(configured)
    counts = [s for s in read if "count(" in s or "sum(" in s]
    assert [("score_rollups" in s, "FROM responses" in s) for s in counts] == [(False, True), (True, False)]
    assert mixed.path == raw.path == "raw"
    assert mixed.total.n > 0 and len(mixed.groups) == 2
    assert mixed.model_dump() == raw.model_dump()
