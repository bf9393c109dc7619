"""Simulate one customer's year: onboarding, usage, orders, tickets, invoices, surveys and (for SMB) churn."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from cxloop.demo import behaviour as model
from cxloop.demo import operations
from cxloop.demo.answering import answer
from cxloop.demo.behaviour import DAY
from cxloop.demo.comments import Cue, Mood, human_wait
from cxloop.demo.company import PLAN_PRICES, Agent, DemoCustomer, next_anniversary
from cxloop.demo.consent import consent_plan
from cxloop.demo.contact import ContactGate
from cxloop.demo.names import FEATURES
from cxloop.demo.operations import feature_name
from cxloop.demo.period import DemoPeriod, add_months
from cxloop.demo.story import Story, SurveyRole

Step = Callable[[random.Random, Story, datetime, datetime], None]


class Simulator:
    """Turns a customer and their latent traits into a Story, deterministically from the seed."""

    def __init__(self, seed: int, period: DemoPeriod, agents: dict[str, list[Agent]], gate: ContactGate) -> None:
        self.seed = seed
        self.period = period
        self.agents = agents
        self.gate = gate

    def story(self, customer: DemoCustomer, *, until: datetime | None = None, attempt: int = 0) -> Story:
        """The customer's story from sign-up to `until` (default: the end of the window) or their churn."""
        rng = random.Random(f"cxloop-demo/{self.seed}/customer/{customer.external_id}/{attempt}")
        end = min(until or self.period.end, self.period.end)
        story = Story(customer, consent=consent_plan(self.seed, customer.external_id, customer.signup_at, end))
        story.gate = self.gate
        traits = customer.traits
        t0 = customer.signup_at
        source = rng.choice(("sales", "sales", "partner")) if not customer.is_smb else None
        story.event(
            "signed_up",
            t0,
            {
                "plan": customer.plan,
                "segment": customer.segment,
                "source": source or rng.choice(("website", "website", "referral", "ad")),
            },
        )
        self._standing_opinions(rng, story, t0)
        life_start = t0
        if model.activates(rng, friction=traits.friction) or not customer.is_smb:
            first = t0 + timedelta(hours=model.hours_to_first_use(rng, friction=traits.friction))
            if first < end:
                self._first_use(rng, story, first, end)
                life_start = first
        plan: list[tuple[datetime, int, Step]] = []
        if story.activated:
            use_feature = partial(self._feature, favourites=rng.sample(FEATURES, 4))
            for at in model.arrivals(rng, life_start, end, traits.activity * 0.7):
                plan.append((at, 3, use_feature))
            for at in model.arrivals(rng, life_start, end, traits.order_rate):
                plan.append((at, 2, operations.order))
        ticket = partial(operations.ticket, period=self.period, agents=self.agents)
        for at in model.arrivals(rng, t0, end, traits.ticket_rate):
            plan.append((at, 2, ticket))
        for at in model.arrivals(rng, t0, min(end, t0 + 30 * DAY), traits.friction * 1.2):
            plan.append((at, 2, partial(ticket, category="setup")))
        if story.activated and t0 < self.period.incident_start < end:
            hit = self.period.incident_start + timedelta(hours=rng.uniform(0, 72))
            plan.append((hit, 2, partial(self._outage, ticket=ticket)))
        billed = customer.is_smb or customer.is_champion
        crunch_start, crunch_end = max(t0, self.period.migration_start), min(end, self.period.migration_end)
        for at in model.arrivals(rng, crunch_start, crunch_end, 0.5 if billed else 0.1):
            plan.append((at, 2, partial(ticket, category="billing")))
        if billed:
            step = 1 if customer.is_smb else 3
            for k in range(1, 40):
                at = datetime.combine(add_months(t0.date(), k * step), t0.timetz()) + timedelta(hours=6)
                if at >= end:
                    break
                plan.append((at, 1, self._invoice))
        nps_days = [30, 90] + [90 + 91 * k for k in range(1, 8)]
        plan.extend((t0 + d * DAY + timedelta(hours=rng.uniform(1, 10)), 4, self._nps) for d in nps_days)
        if customer.is_champion and customer.account is not None:
            renewal = next_anniversary(customer.account.contract_start, t0.date() + timedelta(days=60))
            while True:
                invite = datetime.combine(renewal - timedelta(days=60), t0.timetz())
                if invite >= end:
                    break
                plan.append((invite, 4, partial(self._nps, touchpoint="renewal")))
                renewal = add_months(renewal, 12)
        if customer.is_smb:
            plan.extend((t0 + 30 * k * DAY, 0, self._churn_check) for k in range(1, 14))
        plan.sort(key=lambda item: (item[0], item[1]))
        for at, _, step_fn in plan:
            if at >= end or story.churned_at is not None:
                break
            step_fn(rng, story, at, end)
        if story.churned_at is not None:
            story.truncate(story.churned_at)  # drop deliveries and replies that would land after they left
        return story

    # --- happenings ---------------------------------------------------------------------------------------------

    def _standing_opinions(self, rng: random.Random, story: Story, at: datetime) -> None:
        traits, customer = story.customer.traits, story.customer
        feature = feature_name(rng.choice(FEATURES))
        if traits.fit > 0.4:
            story.remember(at, Cue("ease_of_use", "pos"), traits.fit, standing=True)
            story.remember(at, Cue("product_quality", "pos", slots={"feature": feature}), 0.6, standing=True)
        elif traits.fit < -0.4:
            story.remember(at, Cue("ease_of_use", "neg"), -traits.fit, standing=True)
            story.remember(at, Cue("product_quality", "neg", slots={"feature": feature}), 0.7, standing=True)
        if customer.plan == "starter" and traits.fit < 0.2:
            story.remember(at, Cue("pricing", "neg"), 0.8, standing=True)
        elif traits.fit > 0.6:
            story.remember(at, Cue("pricing", "pos"), 0.4, standing=True)
        for theme in ("ease_of_use", "delivery", "product_quality", "billing"):
            story.remember(at, Cue(theme, "wish"), 0.25, standing=True)

    def _first_use(self, rng: random.Random, story: Story, at: datetime, end: datetime) -> None:
        traits, customer = story.customer.traits, story.customer
        story.activated, story.first_use_at = True, at
        setup_minutes = int(15 + traits.friction * 300 * rng.uniform(0.4, 1.6))
        story.event(
            "first_use",
            at,
            {
                "setup_minutes": setup_minutes,
                "import_errors": model.poisson(rng, traits.friction * 4),
                "integrations_connected": rng.randint(0, 3),
                "onboarding_call": not customer.is_smb and rng.random() < 0.8,
            },
        )
        ces = model.onboarding_ces(rng, friction=traits.friction, harshness=traits.harshness)
        story.onboarding_ces = ces
        story.feel(at, (ces - 4.4) * 0.55, 150)
        setup = human_wait((at - customer.signup_at) / timedelta(minutes=1) + setup_minutes)
        if ces < 3.8:
            story.remember(at, Cue("onboarding", "neg", slots={"setup": setup}), 4.4 - ces)
        elif ces > 5.4:
            story.remember(at, Cue("onboarding", "pos"), ces - 5.0)
        channel = "in_app" if rng.random() < 0.65 else "email"
        value = model.rated(rng, ces, 1, 7, floor_below=0.35)
        invited = at + timedelta(minutes=rng.uniform(1, 30) if channel == "in_app" else rng.uniform(30, 300))
        cues = {
            "neg": [Cue("onboarding", "neg", slots={"setup": setup}), Cue("ease_of_use", "neg")],
            # A 4 leans unhappy, a 5 leans happy; both usually come with a suggestion.
            "mixed": [
                Cue("onboarding", "neg" if value <= 4 else "pos", slots={"setup": setup}),
                Cue("onboarding", "wish"),
            ],
            "pos": [Cue("onboarding", "pos"), Cue("ease_of_use", "pos")],
        }
        answer(
            rng,
            story,
            SurveyRole.onboarding_ces,
            channel,
            "first-use",
            invited,
            end,
            value,
            (3, 6),
            lambda mood: cues[mood],
            {},
        )

    def _outage(
        self, rng: random.Random, story: Story, at: datetime, end: datetime, *, ticket: Callable[..., None]
    ) -> None:
        """The platform keeps going down for a week: everyone using it feels it, some open a ticket about it."""
        story.feel(at, -1.0, 20)
        story.remember(at, Cue("product_quality", "neg", "outage"), 3.0)
        if rng.random() < 0.45:
            opened = at + timedelta(hours=rng.uniform(0, 72))
            if opened < end:
                ticket(rng, story, opened, end, category="bug")

    def _feature(
        self, rng: random.Random, story: Story, at: datetime, _end: datetime, *, favourites: list[str]
    ) -> None:
        feature = rng.choice(favourites) if rng.random() < 0.8 else rng.choice(FEATURES)
        story.event("feature_used", at, {"feature": feature, "minutes": rng.randint(1, 45)})
        story.feel(at, 0.03, 30)

    def _invoice(self, rng: random.Random, story: Story, at: datetime, end: datetime) -> None:
        customer = story.customer
        if customer.is_smb:
            extra_seats = rng.choice((0, 0, 0, 1, 2)) if customer.plan == "growth" else 0
            amount = PLAN_PRICES[customer.plan] + 20 * extra_seats
        else:
            assert customer.account is not None
            amount = (customer.account.arr / 4).quantize(Decimal("0.01"))
        invoice_id = f"INV-{customer.index + 1:05d}-{story.counter + 1:03d}"
        migration = self.period.in_migration(at)
        failure = (0.15 if migration else 0.025) * (1.0 if customer.is_smb else 0.5)
        if rng.random() >= failure:
            story.event("invoice_paid", at, {"invoice_id": invoice_id, "amount": str(amount), "currency": "USD"})
            story.paid_total += amount
            story.unpaid = False
            return
        reason = (
            rng.choice(("billing_system_error", "card_declined", "duplicate_charge"))
            if migration
            else (rng.choice(("card_declined", "insufficient_funds", "expired_card")))
        )
        story.event("payment_failed", at, {"invoice_id": invoice_id, "amount": str(amount), "reason": reason})
        story.feel(at, -1.3 if migration else -0.8, 60)
        story.remember(at, Cue("billing", "neg"), 1.8 if migration else 1.0)
        retry = at + timedelta(days=rng.uniform(2, 6))
        if rng.random() < 0.8 and retry < end:
            story.event(
                "invoice_paid",
                retry,
                {"invoice_id": invoice_id, "amount": str(amount), "currency": "USD", "retry": True},
            )
            story.paid_total += amount
        else:
            story.unpaid = True

    def _nps(
        self, rng: random.Random, story: Story, at: datetime, end: datetime, touchpoint: str = "relationship"
    ) -> None:
        traits = story.customer.traits
        latent = model.relationship_nps(
            rng,
            mood=story.mood(at),
            fit=traits.fit,
            harshness=traits.harshness,
            migration=self.period.in_migration(at),
            incident=self.period.in_incident(at),
        )
        story.last_nps = latent
        channel = "email" if rng.random() < 0.7 else "link"

        def cues(mood: Mood) -> list[Cue]:
            if mood == "mixed":
                return story.recall(rng, at, "pos", 1) + story.recall(
                    rng, at, "neg" if rng.random() < 0.6 else "wish", 1
                )
            return story.recall(rng, at, mood, 3)

        answer(
            rng,
            story,
            SurveyRole.relationship_nps,
            channel,
            touchpoint,
            at,
            end,
            model.rated(rng, latent, 0, 10, floor_below=0.62),
            (6, 9),
            cues,
            {},
        )

    def _churn_check(self, rng: random.Random, story: Story, at: datetime, end: datetime) -> None:
        traits = story.customer.traits
        if not story.activated:
            chance = 0.45
        else:
            chance = model.smb_monthly_churn(
                mood=story.mood(at),
                fit=traits.fit,
                poor_onboarding=story.onboarding_ces is not None and story.onboarding_ces < 3.8,
                starter=story.customer.plan == "starter",
                unpaid=story.unpaid,
            )
        if rng.random() < chance:
            churned = at + timedelta(days=rng.uniform(0, 3))
            if churned < end:
                story.churned_at = churned
                story.event("subscription_cancelled", churned, {"plan": story.customer.plan})
