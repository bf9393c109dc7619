"""The planted patterns hold in the simulated world (pure: no database), on a population big enough to be sure."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta

from cxloop.demo.comments import PHRASEBOOKS
from cxloop.demo.company import COUNTRY_BY_CODE
from cxloop.demo.period import DemoPeriod, add_months
from cxloop.demo.story import SurveyRole
from cxloop.demo.world import DemoWorld, simulate_world
from tests.demo.realism_report import default_policy

ANCHOR = date(2025, 6, 1)


def _fingerprint(world: DemoWorld) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for story in world.stories:
        c = story.customer
        rows.append((c.external_id, c.name, c.email, c.segment, c.plan, c.signup_at, world.stages[c.external_id]))
        rows.extend((e.key, e.name, e.at, sorted(e.properties.items())) for e in story.events)
        rows.extend((r.key, r.score, r.channel, r.at, r.comment.text if r.comment else None) for r in story.responses)
    rows.extend((o.kind, o.on, o.value, o.customer, o.account) for o in world.outcomes)
    rows.extend((f.external_id, f.text, f.rating, f.at) for f in world.feedback)
    return rows


def test_the_same_seed_gives_the_same_world_and_another_seed_does_not() -> None:
    period = DemoPeriod.ending(ANCHOR, 12)
    first = _fingerprint(simulate_world(5, customers=100, period=period, policy=default_policy()))
    assert _fingerprint(simulate_world(5, customers=100, period=period, policy=default_policy())) == first
    assert _fingerprint(simulate_world(6, customers=100, period=period, policy=default_policy())) != first


def test_the_organisation_has_the_promised_shape(world: DemoWorld) -> None:
    people = world.organisation.customers
    assert len(people) == 2500
    assert len({c.external_id for c in people}) == len({c.email for c in people}) == 2500
    enterprise = [c for c in people if c.segment == "enterprise"]
    assert 0.3 < len(enterprise) / len(people) < 0.42
    assert all(c.account is not None for c in enterprise)
    assert all(c.account is None and c.plan in {"starter", "growth"} for c in people if c.segment == "smb")
    assert len(world.organisation.accounts) >= 100
    assert any(len(a.contacts) >= 4 for a in world.organisation.accounts)
    for c in people:
        country = COUNTRY_BY_CODE[c.country.code]
        assert c.country.locale.endswith(country.code)
        assert c.timezone in country.timezones
        assert world.period.start <= c.signup_at < world.period.end
    # Sign-ups are spread over the whole year, growing towards the end.
    by_month = defaultdict(int)
    for c in people:
        by_month[(c.signup_at.year, c.signup_at.month)] += 1
    assert len(by_month) >= 12
    first_quarter = sum(1 for c in people if c.signup_at < world.period.start + timedelta(days=91))
    last_quarter = sum(1 for c in people if c.signup_at >= world.period.end - timedelta(days=91))
    assert last_quarter > first_quarter


def test_every_instant_lies_inside_the_window(world: DemoWorld) -> None:
    period = world.period
    for story in world.stories:
        assert all(period.start <= e.at < period.end for e in story.events)
        assert all(period.start <= r.at < period.end for r in story.responses)
        if story.churned_at:
            assert all(e.at <= story.churned_at for e in story.events)
    assert all(period.start <= f.at < period.end for f in world.feedback)
    assert all(period.start.date() <= o.on < period.anchor for o in world.outcomes)


def test_smb_customers_with_poor_onboarding_churn_far_more(world: DemoWorld) -> None:
    poor, good = [], []
    for story in world.stories:
        if not story.customer.is_smb:
            continue
        for r in story.responses:
            if r.survey is SurveyRole.onboarding_ces:
                (poor if r.score <= 3 else good if r.score >= 5 else []).append(story.churned_at is not None)
    assert len(poor) >= 40 and len(good) >= 80
    assert statistics.mean(poor) > 2 * statistics.mean(good)


def test_detractors_churn_more_than_promoters(world: DemoWorld) -> None:
    detractors, promoters = [], []
    for story in world.stories:
        answers = [r for r in story.responses if r.survey is SurveyRole.relationship_nps]
        if answers:
            latest = answers[-1].score
            (detractors if latest <= 6 else promoters if latest >= 9 else []).append(story.churned_at is not None)
    assert statistics.mean(detractors) > 1.8 * statistics.mean(promoters)


def test_support_csat_falls_with_wait_time_and_delivery_csat_with_lateness(world: DemoWorld) -> None:
    tickets, orders = {}, {}
    for story in world.stories:
        for e in story.events:
            if e.name == "ticket_solved":
                tickets[e.properties["ticket_id"]] = e.properties
            elif e.name == "order_delivered":
                orders[e.properties["order_id"]] = e.properties
    short, long = [], []
    on_time, late = [], []
    for story in world.stories:
        for r in story.responses:
            if r.survey is SurveyRole.support_csat:
                wait = tickets[r.context["ticket_id"]]["wait_minutes"]
                (short if wait < 60 else long if wait > 240 else []).append(r.score)
            elif r.survey is SurveyRole.delivery_csat:
                (late if orders[r.context["order_id"]]["days_late"] else on_time).append(r.score)
    assert statistics.mean(short) - statistics.mean(long) > 0.5
    assert statistics.mean(on_time) - statistics.mean(late) > 1.0


def test_the_billing_migration_dips_nps_and_the_staffing_change_shortens_waits(world: DemoWorld) -> None:
    period = world.period

    def nps(scores: list[int]) -> float:
        return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)

    responses = [r for s in world.stories for r in s.responses if r.survey is SurveyRole.relationship_nps]
    before_start = period.migration_start - timedelta(days=90)
    before = [r.score for r in responses if before_start <= r.at < period.migration_start]
    during = [r.score for r in responses if period.in_migration(r.at)]
    assert nps(before) - nps(during) > 15
    waits = [(e.at, e.properties["wait_minutes"]) for s in world.stories for e in s.events if e.name == "ticket_solved"]
    staffing = period.staffing_change
    assert period.migration_start < staffing
    assert staffing.date() == add_months(period.anchor, -3)
    earlier = statistics.median(w for at, w in waits if at < staffing)
    later = statistics.median(w for at, w in waits if at >= staffing)
    assert later < earlier / 2


def test_comments_are_about_what_happened(world: DemoWorld) -> None:
    late_orders = {
        e.properties["order_id"]
        for s in world.stories
        for e in s.events
        if e.name == "order_delivered" and e.properties["days_late"] >= 1
    }
    checked = 0
    for story in world.stories:
        for r in story.responses:
            if r.comment is None:
                continue
            patterns = PHRASEBOOKS[r.language].patterns
            assert all(patterns[t].search(r.comment.text) for t in r.comment.themes), r.comment.text
            if r.survey is SurveyRole.delivery_csat and r.context["order_id"] in late_orders and r.score <= 2:
                assert r.comment.themes in {("delivery",), ()}
                checked += 1
            if r.survey is SurveyRole.onboarding_ces and r.comment.themes:
                assert r.comment.themes[0] == "onboarding"
    assert checked >= 3


def test_enough_happens_to_analyse(world: DemoWorld) -> None:
    events = sum(len(s.events) for s in world.stories)
    responses = [r for s in world.stories for r in s.responses]
    assert 15 <= events / 2500 <= 25
    # Invitations pass the contact policy and 10-30 % are answered: about one answer per customer and year.
    assert 0.6 <= len(responses) / 2500 <= 1.6
    assert {r.channel for r in responses} == {"in_app", "email", "sms", "link"}
    assert 0.35 < sum(r.comment is not None for r in responses) / len(responses) < 0.6
    kinds = {f.kind.value for f in world.feedback}
    assert kinds == {"review", "social_post", "chat_transcript"}
    assert 0.08 < len(world.feedback) / 2500 < 0.25
    churned = {o.account for o in world.outcomes if o.kind.value == "churned" and o.account}
    renewed = {o.account for o in world.outcomes if o.kind.value == "renewed"}
    assert churned and renewed and not churned & renewed
    assert set(world.stages.values()) == {"onboarding", "usage", "renewal", "advocacy"}
