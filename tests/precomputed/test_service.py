"""The stored results of the slow analyses (cxloop.precomputed) on SQLite and PostgreSQL: each analysis' stored
result equals a fresh computation, a change of the data makes it stale and the worker's sweep refreshes it, views
and prunes, and what tells the pages a worker runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from cxloop.analytics.enums import GroupKey, MetricKind
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload, dispatch
from cxloop.precomputed import registry, tasks
from cxloop.precomputed import service as precomputed
from cxloop.precomputed.models import PrecomputedResult
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate, ThemeUpdate
from tests.analytics.test_drivers import FINE, LATE, WITH, respond
from tests.factories.responses import add_customers, add_segment, add_survey
from tests.web.test_insights_pages import late_deliveries_cost_nps

MARCH = registry.DriversParams(metric="nps", segment="retail", start=date(2026, 3, 1), end=date(2026, 3, 31))
CASES: list[tuple[registry.Analysis[Any, Any], Any]] = [
    (registry.THEMES, registry.NoParams()),
    (registry.DRIVERS, MARCH),
    (registry.OUTCOMES, registry.OutcomesParams(metric="nps", window_days=90, end=date(2026, 6, 30))),
    (registry.OPERATIONS, registry.NoParams()),
    (registry.AGENTS, registry.NoParams()),
    (registry.MATURITY, registry.NoParams()),
    (
        registry.GROUPED_METRIC,
        registry.GroupedMetricParams(
            metric=MetricKind.nps,
            by=GroupKey.channel,
            tz="UTC",
            start=date(2026, 3, 1),
            end=date(2026, 3, 31),
            segment="retail",
        ),
    ),
    (
        registry.COMPARISON,
        registry.MetricParams(
            metric=MetricKind.nps,
            tz="UTC",
            start=date(2026, 3, 1),
            end=date(2026, 3, 31),
            segment="retail",
            channel="email",
        ),
    ),
    (registry.TOP_THEMES, registry.TopThemesParams(start=date(2026, 3, 1), end=date(2026, 3, 31))),
]


@dataclass(frozen=True)
class Runtime:
    database: Database


def _queued(db: Database, analysis: registry.Analysis[Any, Any], params: Any) -> int:
    with db.unit_of_work(write=True) as session:
        return precomputed.request(session, analysis, params, now=utcnow()).id


def _stored(db: Database, analysis: registry.Analysis[Any, Any], params: Any) -> precomputed.Stored[Any]:
    with db.unit_of_work() as session:
        row = precomputed.find(session, analysis, params)
        assert row is not None
        return precomputed.shown(analysis, row)


def test_every_analysis_is_registered_once_and_names_its_schema() -> None:
    assert sorted(registry.ANALYSES) == sorted(a.name for a, _ in CASES)
    assert registry.DRIVERS.key(MARCH) == '{"end":"2026-03-31","metric":"nps","segment":"retail","start":"2026-03-01"}'


@pytest.mark.parametrize(("analysis", "params"), CASES, ids=[a.name for a, _ in CASES])
def test_a_stored_result_equals_a_fresh_computation(
    db: Database, analysis: registry.Analysis[Any, Any], params: Any
) -> None:
    late_deliveries_cost_nps(db)
    result_id = _queued(db, analysis, params)
    assert _stored(db, analysis, params).value is None  # queued, not computed in the request
    assert precomputed.refresh(db, result_id=result_id, now=utcnow())
    stored = _stored(db, analysis, params)
    with db.unit_of_work() as session:
        fresh = analysis.compute(session, params)
    if analysis is registry.MATURITY:  # assessed "as of now": the two computations are moments apart
        fresh = fresh.model_copy(update={"as_of": stored.value.as_of})
    assert stored.value == fresh and stored.computed_at is not None and not stored.updating
    assert stored.seconds is not None and stored.seconds >= 0
    if analysis is registry.GROUPED_METRIC:
        assert stored.value.total.n == 320 and [g.keys["channel"] for g in stored.value.groups] == ["email"]
    if analysis is registry.DRIVERS:
        assert stored.value.enough and any("Late delivery" in d.label for d in stored.value.drivers)


def test_new_data_makes_a_result_stale_and_the_sweep_refreshes_it(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = add_survey(session, key="delivery")
        people = add_customers(session, 10, start=7000)
        respond(session, survey, [(people[i], WITH[i % len(WITH)], LATE) for i in range(4)], channel="email")
        themes.add_rule(session, data=RuleCreate(name="Late delivery", phrases=["late"]))
    result_id = _queued(db, registry.THEMES, registry.NoParams())
    tasks.sweep(Runtime(db), NoPayload())  # computes what was queued, and records that a worker runs
    first = _stored(db, registry.THEMES, registry.NoParams())
    assert [t.volume for t in first.value] == [4]
    with db.unit_of_work() as session:
        assert precomputed.worker_running(session, now=utcnow())
        assert (
            precomputed.stale_ids(session, stamp=precomputed.current_stamp(session, now=utcnow()), now=utcnow()) == []
        )

    with db.unit_of_work() as session:  # two more answers (their themes come later, from the worker): the stamp moves
        respond(session, survey, [(people[i], WITH[0], FINE) for i in range(4, 6)], channel="email")
    with db.unit_of_work(write=True) as session:
        stamp = precomputed.current_stamp(session, now=utcnow())
        assert precomputed.stale_ids(session, stamp=stamp, now=utcnow()) == []  # computed moments ago: not yet
        later = utcnow() + precomputed.REFRESH_EVERY
        assert precomputed.stale_ids(session, stamp=stamp, now=later) == [result_id]
        row = session.get_one(PrecomputedResult, result_id)
        row.computed_at -= precomputed.REFRESH_EVERY  # type: ignore[operator]  # as if ten minutes had passed
    tasks.sweep(Runtime(db), NoPayload())
    second = _stored(db, registry.THEMES, registry.NoParams())
    with db.unit_of_work() as session:
        assert second.value == registry.THEMES.compute(session, registry.NoParams()) != first.value
    assert second.computed_at > first.computed_at and not second.updating  # type: ignore[operator]
    with db.unit_of_work() as session:
        assert precomputed.stale_ids(session, stamp=precomputed.current_stamp(session, now=later), now=later) == []


def test_an_edit_of_the_taxonomy_and_the_next_day_make_it_stale(db: Database) -> None:
    with db.unit_of_work() as session:
        theme = themes.add_rule(session, data=RuleCreate(name="Billing", phrases=["billing"]))
    result_id = _queued(db, registry.THEMES, registry.NoParams())
    precomputed.refresh(db, result_id=result_id, now=utcnow())
    with db.unit_of_work() as session:
        themes.update_theme(session, theme_id=theme.id, data=ThemeUpdate(name="Invoices"))
    with db.unit_of_work() as session:
        now = utcnow() + precomputed.REFRESH_EVERY
        assert precomputed.stale_ids(session, stamp=precomputed.current_stamp(session, now=now), now=now) == [result_id]
    precomputed.refresh(db, result_id=result_id, now=utcnow())
    with db.unit_of_work() as session:
        now = utcnow()
        assert precomputed.stale_ids(session, stamp=precomputed.current_stamp(session, now=now), now=now) == []
        tomorrow = now + timedelta(days=1)
        assert precomputed.stale_ids(session, stamp=precomputed.current_stamp(session, now=tomorrow), now=tomorrow) == [
            result_id
        ]
    assert [t.name for t in _stored(db, registry.THEMES, registry.NoParams()).value] == ["Invoices"]


def test_results_nobody_viewed_for_a_week_are_pruned_and_never_refreshed(db: Database) -> None:
    result_id = _queued(db, registry.MATURITY, registry.NoParams())
    later = utcnow() + precomputed.KEEP_VIEWED + timedelta(minutes=1)
    with db.unit_of_work(write=True) as session:
        assert precomputed.stale_ids(session, stamp=precomputed.current_stamp(session, now=later), now=later) == []
        assert precomputed.prune(session, now=later) == 1
    with db.unit_of_work() as session:
        assert precomputed.get_result(session, result_id=result_id) is None
    assert not precomputed.refresh(db, result_id=result_id, now=utcnow())  # a job for a pruned row does nothing


def test_a_view_queues_a_missing_result_once_and_a_refresh_when_asked(db: Database) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    previous = dispatch.installed()
    dispatch.install(lambda name, payload: calls.append((name, payload)))
    try:
        result_id = _queued(db, registry.AGENTS, registry.NoParams())
        _queued(db, registry.AGENTS, registry.NoParams())  # already queued: not again
        assert calls == [(precomputed.REFRESH_JOB, {"result_id": result_id})]
        precomputed.refresh(db, result_id=result_id, now=utcnow())
        with db.unit_of_work(write=True) as session:
            precomputed.request(session, registry.AGENTS, registry.NoParams(), now=utcnow(), refresh=True)
        assert len(calls) == 2 and _stored(db, registry.AGENTS, registry.NoParams()).updating
    finally:
        dispatch.install(previous)


def test_bad_parameters_are_stored_as_the_error_naming_the_field(db: Database) -> None:
    params = MARCH.model_copy(update={"segment": "nope"})
    result_id = _queued(db, registry.DRIVERS, params)
    precomputed.refresh(db, result_id=result_id, now=utcnow())
    stored = _stored(db, registry.DRIVERS, params)
    assert stored.value is None and stored.error is not None and stored.error["field"] == "segment"


def test_a_small_organisation_or_one_without_a_worker_computes_inline(db: Database) -> None:
    with db.unit_of_work() as session:
        survey = add_survey(session, key="delivery")
        people = add_customers(session, 5, start=9000)
        add_segment(session, "few", people)
        respond(session, survey, [(p, WITH[0], FINE) for p in people], channel="email")
    with db.unit_of_work(write=True) as session:
        now = utcnow()
        assert precomputed.computes_inline(session, inline_up_to=5, now=now)  # 5 responses: small
        assert precomputed.computes_inline(session, inline_up_to=4, now=now)  # large, but no worker seen
        precomputed.record_sweep(session, now=now, refreshed=0, seconds=0.1)
        assert not precomputed.computes_inline(session, inline_up_to=4, now=now)
        assert precomputed.computes_inline(session, inline_up_to=4, now=now + precomputed.WORKER_SEEN)
