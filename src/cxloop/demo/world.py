"""The whole simulated demo: organisation, every customer's story, account renewals, outcomes and journey stages."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cxloop.customers.enums import OutcomeKind
from cxloop.demo import behaviour as model
from cxloop.demo.behaviour import DAY, clamp
from cxloop.demo.company import PLAN_PRICES, DemoAccount, Organisation, build_organisation, next_anniversary
from cxloop.demo.contact import ContactGate
from cxloop.demo.period import DemoPeriod, add_months, midnight
from cxloop.demo.public_feedback import SimFeedback, public_feedback
from cxloop.demo.simulation import Simulator
from cxloop.demo.story import Story


@dataclass(slots=True)
class SimOutcome:
    """A business outcome to record, for a customer or an account."""

    kind: OutcomeKind
    on: date
    value: Decimal | None = None
    customer: str | None = None
    account: str | None = None
    note: str = ""


@dataclass(slots=True)
class DemoWorld:
    """Everything the builder writes, computed without touching the database."""

    seed: int
    period: DemoPeriod
    organisation: Organisation
    stories: list[Story]
    outcomes: list[SimOutcome] = field(default_factory=list)
    feedback: list[SimFeedback] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)


def simulate_world(seed: int, *, customers: int, period: DemoPeriod, policy: Any) -> DemoWorld:
    """The demo for `seed`, inviting as the contact `policy` allows: the same seed, size, period and policy always
    give the same world. `policy` is governance's ContactPolicy row (`governance.policy.current_policy`)."""
    organisation = build_organisation(seed, customers=customers, period=period)
    simulator = Simulator(seed, period, organisation.agents, ContactGate(policy))
    stories = {c.external_id: simulator.story(c) for c in organisation.customers}
    world = DemoWorld(seed=seed, period=period, organisation=organisation, stories=[])
    for account in organisation.accounts:
        _run_contract(world, simulator, account, stories)
    world.stories = [stories[c.external_id] for c in organisation.customers]
    _customer_outcomes(world)
    world.feedback = public_feedback(seed, world.stories, period, organisation.agents)
    _stages(world)
    return world


def _run_contract(world: DemoWorld, simulator: Simulator, account: DemoAccount, stories: dict[str, Story]) -> None:
    """Renew or lose the account at each anniversary inside the window, by how its contacts feel then."""
    period = world.period
    rng = random.Random(f"cxloop-demo/{world.seed}/account/{account.external_id}")
    anniversary = next_anniversary(account.contract_start, period.start.date() - DAY)
    while anniversary < period.anchor:
        at = midnight(anniversary) + timedelta(hours=9)
        voices = [stories[c.external_id] for c in account.contacts if c.signup_at < at - 14 * DAY]
        mean_nps = sum(s.expected_nps(at) for s in voices) / len(voices) if voices else 7.5
        if voices and rng.random() < model.account_churn_chance(mean_nps):
            _lose_account(world, simulator, account, stories, at)
            return
        uplift = model.renewal_uplift(rng, mean_nps)
        account.arr = Decimal(round(float(account.arr) * (1 + uplift), -2))
        world.outcomes.append(
            SimOutcome(
                OutcomeKind.renewed, anniversary, account.arr, account=account.external_id, note="annual renewal"
            )
        )
        if voices:
            champion = min(voices, key=lambda s: s.customer.signup_at)
            champion.event("renewal", at, {"account": account.external_id, "arr": str(account.arr), "term_months": 12})
        anniversary = add_months(anniversary, 12)
    account.renewal_date = anniversary
    account.status = "active"


def _lose_account(
    world: DemoWorld, simulator: Simulator, account: DemoAccount, stories: dict[str, Story], at: datetime
) -> None:
    period = world.period
    rng = random.Random(f"cxloop-demo/{world.seed}/account/{account.external_id}/contacts")
    account.status, account.churned_on, account.renewal_date = "churned", at.date(), at.date()
    earliest = max(period.start, midnight(account.contract_start))
    for contact in account.contacts:
        if contact.signup_at >= at:
            # This contact would have joined after the account left: they joined earlier instead.
            span = max(1.0, (at - earliest) / timedelta(hours=1) - 1)
            contact.signup_at = earliest + timedelta(hours=rng.uniform(0, span))
            stories[contact.external_id] = simulator.story(contact, until=at, attempt=1)
        stories[contact.external_id].truncate(at)
        world.outcomes.append(
            SimOutcome(OutcomeKind.churned, at.date(), customer=contact.external_id, note="account did not renew")
        )
    world.outcomes.append(SimOutcome(OutcomeKind.churned, at.date(), account=account.external_id, note="did not renew"))


def _customer_outcomes(world: DemoWorld) -> None:
    last_day = world.period.anchor - timedelta(days=1)
    for story in world.stories:
        customer = story.customer
        if not customer.is_smb:
            continue
        if story.churned_at is not None:
            world.outcomes.append(
                SimOutcome(
                    OutcomeKind.churned,
                    story.churned_at.date(),
                    customer=customer.external_id,
                    note="cancelled subscription",
                )
            )
            value = story.paid_total
        else:
            # Expected further revenue: a year of the plan, discounted by how likely they are to stay.
            stay = clamp((story.expected_nps(world.period.end) - 3) / 7, 0.15, 1.0)
            value = story.paid_total + PLAN_PRICES[customer.plan] * 12 * Decimal(str(round(stay, 2)))
        world.outcomes.append(
            SimOutcome(
                OutcomeKind.lifetime_value,
                story.churned_at.date() if story.churned_at else last_day,
                value.quantize(Decimal("0.01")),
                customer=customer.external_id,
            )
        )
    for account in world.organisation.accounts:
        end = account.churned_on or last_day
        years = max(0.1, (end - account.contract_start).days / 365.25)
        value = account.arr * Decimal(str(round(years + (0 if account.churned_on else 2), 2)))
        world.outcomes.append(
            SimOutcome(OutcomeKind.lifetime_value, end, value.quantize(Decimal("0.01")), account=account.external_id)
        )


def _stages(world: DemoWorld) -> None:
    end = world.period.end
    advocates = {f.customer for f in world.feedback if f.customer and f.rating is not None and f.rating >= 4}
    for story in world.stories:
        customer = story.customer
        account = customer.account
        if story.churned_at is not None:
            early = story.churned_at - customer.signup_at < 45 * DAY
            stage = "onboarding" if early else ("renewal" if account is not None else "usage")
        elif not story.activated or end - customer.signup_at < 30 * DAY:
            stage = "onboarding"
        elif account is not None and account.renewal_date and account.renewal_date - world.period.anchor < 60 * DAY:
            stage = "renewal"
        elif customer.external_id in advocates:
            stage = "advocacy"
        else:
            stage = "usage"
        world.stages[customer.external_id] = stage
