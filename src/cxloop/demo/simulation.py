"""Simulate one customer's year: onboarding, usage, orders, tickets, invoices, surveys and (for SMB) churn."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from cxloop.demo import behaviour as model
from cxloop.demo.behaviour import DAY
from cxloop.demo.comments import Cue, compose, count_word, human_wait, times
from cxloop.demo.company import PLAN_PRICES, Agent, DemoCustomer, next_anniversary
from cxloop.demo.names import CARRIERS, FEATURES
from cxloop.demo.period import DemoPeriod, add_months
from cxloop.demo.story import SimResponse, SimTicket, Story, SurveyRole

TEAM_BY_CATEGORY = {
    "how_to": "Product support",
    "bug": "Product support",
    "account": "Product support",
    "billing": "Billing",
    "delivery": "Logistics",
    "setup": "Onboarding",
}
CATEGORY_THEME = {"billing": "billing", "bug": "product_quality", "delivery": "delivery", "setup": "onboarding"}


Step = Callable[[random.Random, Story, datetime, datetime], None]


def feature_name(feature: str) -> str:
    return feature.replace("_", " ").replace("erp", "ERP")


class Simulator:
    """Turns a customer and their latent traits into a Story, deterministically from the seed."""

    def __init__(self, seed: int, period: DemoPeriod, agents: dict[str, list[Agent]]) -> None:
        self.seed = seed
        self.period = period
        self.agents = agents

    def story(self, customer: DemoCustomer, *, until: datetime | None = None, attempt: int = 0) -> Story:
        """The customer's story from sign-up to `until` (default: the end of the window) or their churn."""
        rng = random.Random(f"cxloop-demo/{self.seed}/customer/{customer.external_id}/{attempt}")
        end = min(until or self.period.end, self.period.end)
        story = Story(customer)
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
                plan.append((at, 2, self._order))
        for at in model.arrivals(rng, t0, end, traits.ticket_rate):
            plan.append((at, 2, self._ticket))
        for at in model.arrivals(rng, t0, min(end, t0 + 30 * DAY), traits.friction * 1.2):
            plan.append((at, 2, partial(self._ticket, category="setup")))
        billed = customer.is_smb or customer.is_champion
        crunch_start, crunch_end = max(t0, self.period.migration_start), min(end, self.period.migration_end)
        for at in model.arrivals(rng, crunch_start, crunch_end, 0.5 if billed else 0.1):
            plan.append((at, 2, partial(self._ticket, category="billing")))
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
        value = model.score(ces, 1, 7)
        invited = at + timedelta(minutes=rng.uniform(1, 30) if channel == "in_app" else rng.uniform(30, 300))
        cues = {
            "neg": [Cue("onboarding", "neg", slots={"setup": setup}), Cue("ease_of_use", "neg")],
            "mixed": [Cue("onboarding", "pos"), Cue("onboarding", "wish")],
            "pos": [Cue("onboarding", "pos"), Cue("ease_of_use", "pos")],
        }
        self._answer(
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

    def _feature(
        self, rng: random.Random, story: Story, at: datetime, _end: datetime, *, favourites: list[str]
    ) -> None:
        feature = rng.choice(favourites) if rng.random() < 0.8 else rng.choice(FEATURES)
        story.event("feature_used", at, {"feature": feature, "minutes": rng.randint(1, 45)})
        story.feel(at, 0.03, 30)

    def _order(self, rng: random.Random, story: Story, at: datetime, end: datetime) -> None:
        customer = story.customer
        delivery = model.deliver(rng, remote=customer.country.remote)
        delivered = at + timedelta(days=1 + delivery.days_late, hours=rng.uniform(-6, 6))
        if delivered >= end:
            return  # still on its way when the window closes
        order_id = f"O-{customer.index + 1:05d}-{story.counter + 1:03d}"
        story.event(
            "order_delivered",
            delivered,
            {
                "order_id": order_id,
                "on_time": delivery.on_time,
                "days_late": delivery.days_late,
                "items": rng.randint(2, 40),
                "carrier": rng.choice(CARRIERS),
                "damaged": delivery.damaged,
            },
        )
        if delivery.days_late:
            cue = Cue("delivery", "neg", "late", {"days": count_word(delivery.days_late)})
            story.feel(delivered, -(0.3 + 0.15 * delivery.days_late), 45)
            story.remember(delivered, cue, 0.6 + 0.3 * delivery.days_late)
        elif delivery.damaged:
            cue = Cue("delivery", "neg", "damaged")
            story.feel(delivered, -0.8, 45)
            story.remember(delivered, cue, 1.2)
        else:
            cue = Cue("delivery", "pos")
            story.feel(delivered, 0.05, 45)
            if rng.random() < 0.2:
                story.remember(delivered, cue, 0.3)
        channel = "sms" if rng.random() < 0.6 else "email"
        value = model.score(model.delivery_csat(rng, delivery, harshness=customer.traits.harshness), 1, 5)
        invited = delivered + timedelta(hours=rng.uniform(14, 22))
        options = {
            "neg": [cue] if cue.tone == "neg" else [Cue("delivery", "neg")],
            "mixed": [Cue("delivery", "pos"), cue if cue.tone == "neg" else Cue("delivery", "wish")],
            "pos": [Cue("delivery", "pos")],
        }
        self._answer(
            rng,
            story,
            SurveyRole.delivery_csat,
            channel,
            "delivery",
            invited,
            end,
            value,
            (2, 4),
            lambda mood: options[mood],
            {"order_id": order_id},
        )

    def _ticket(
        self, rng: random.Random, story: Story, at: datetime, end: datetime, category: str | None = None
    ) -> None:
        customer, period = story.customer, self.period
        if category is None:
            recent_delivery_trouble = any(
                m.cue.theme == "delivery" and m.cue.tone == "neg" and timedelta(0) <= at - m.at <= 14 * DAY
                for m in story.memories
            )
            weights = {
                "how_to": 32,
                "bug": 25,
                "account": 8,
                "billing": 10,
                "delivery": 60 if recent_delivery_trouble else 10,
            }
            category = rng.choices(list(weights), weights=list(weights.values()))[0]
        team = TEAM_BY_CATEGORY[category]
        agent = rng.choice(self.agents[team])
        crunch = category == "billing" and period.in_migration(at)
        handling = model.handle_ticket(
            rng, smb=customer.is_smb, staffed_up=period.staffed_up(at), billing_crunch=crunch, bug=category == "bug"
        )
        ticket_id = f"T-{customer.index + 1:05d}-{story.counter + 1:03d}"
        channel = rng.choice(("email", "email", "chat", "phone"))
        story.event(
            "ticket_created",
            at,
            {
                "ticket_id": ticket_id,
                "category": category,
                "channel": channel,
                "priority": "high" if rng.random() < 0.15 else "normal",
            },
        )
        solved = at + timedelta(hours=handling.resolution_hours)
        csat = model.support_csat(rng, handling, agent_skill=agent.skill, harshness=customer.traits.harshness)
        story.tickets.append(
            SimTicket(ticket_id, at, category, agent.name, team, handling.wait_minutes, solved < end, csat)
        )
        if solved >= end:
            return
        story.event(
            "ticket_solved",
            solved,
            {
                "ticket_id": ticket_id,
                "category": category,
                "wait_time_minutes": handling.wait_minutes,
                "transfers": handling.transfers,
                "reopens": handling.reopens,
                "agent": agent.name,
                "team": team,
                "resolution_hours": handling.resolution_hours,
            },
        )
        story.feel(solved, (csat - 3.6) * 0.5, 60)
        negatives: list[Cue] = []
        if handling.wait_minutes > 120:
            negatives.append(Cue("support_wait", "neg", slots={"wait": human_wait(handling.wait_minutes)}))
        if handling.transfers:
            negatives.append(
                Cue("support_resolution", "neg", "transfer", {"transfers": count_word(handling.transfers + 1)})
            )
        if handling.reopens:
            negatives.append(Cue("support_resolution", "neg", "reopen", {"reopens": times(handling.reopens)}))
        if category in CATEGORY_THEME:
            facet = "late" if category == "delivery" else None
            slots = {"days": "a few", "feature": feature_name(rng.choice(FEATURES))}
            negatives.append(Cue(CATEGORY_THEME[category], "neg", facet, slots))
        rng.shuffle(negatives)
        positives: list[Cue] = []
        if agent.skill > 0.2:
            positives.append(Cue("agent_praise", "pos", slots={"agent": agent.name}))
        if handling.wait_minutes < 45:
            positives.append(Cue("support_wait", "pos"))
        if not handling.reopens and not handling.transfers:
            positives.append(Cue("support_resolution", "pos"))
        for cue in negatives[:2]:
            story.remember(solved, cue, (4.0 - csat) * 0.6)
        if csat > 4.2 and positives:
            story.remember(solved, positives[0], (csat - 3.8) * 0.6)
        channel = "email" if rng.random() < 0.7 else "sms"
        invited = solved + timedelta(minutes=rng.uniform(20, 90))
        options = {
            "neg": negatives or [Cue("support_resolution", "neg")],
            "mixed": positives[:1] + (negatives[:1] or [Cue("support_wait", "wish")]),
            "pos": positives or [Cue("support_resolution", "pos")],
        }
        self._answer(
            rng,
            story,
            SurveyRole.support_csat,
            channel,
            "support-interaction",
            invited,
            end,
            model.score(csat, 1, 5),
            (2, 4),
            lambda mood: options[mood],
            {"ticket_id": ticket_id},
        )

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
        )
        story.last_nps = latent
        channel = "email" if rng.random() < 0.7 else "link"

        def cues(mood: str) -> list[Cue]:
            if mood == "mixed":
                return story.recall(rng, at, "pos", 1) + story.recall(
                    rng, at, "neg" if rng.random() < 0.6 else "wish", 1
                )
            return story.recall(rng, at, mood, 3)

        self._answer(
            rng,
            story,
            SurveyRole.relationship_nps,
            channel,
            touchpoint,
            at,
            end,
            model.score(latent, 0, 10),
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

    # --- answering ----------------------------------------------------------------------------------------------

    def _answer(
        self,
        rng: random.Random,
        story: Story,
        survey: SurveyRole,
        channel: str,
        touchpoint: str,
        invited: datetime,
        end: datetime,
        value: int,
        bounds: tuple[int, int],
        cues_for: Callable[[str], list[Cue]],
        context: dict[str, str],
    ) -> None:
        low, high = bounds
        scale_low, scale_high = (
            (0, 10) if survey is SurveyRole.relationship_nps else (1, 7 if survey is SurveyRole.onboarding_ces else 5)
        )
        middle = (scale_low + scale_high) / 2
        extremity = abs(value - middle) / (scale_high - middle)
        traits = story.customer.traits
        if not model.answers(
            rng, survey=survey.value, channel=channel, responsiveness=traits.responsiveness, extremity=extremity
        ):
            return
        at = invited + model.answer_delay(rng, channel)
        if at >= end:
            return
        mood = "neg" if value <= low else "pos" if value >= high else "mixed"
        comment = None
        if model.comments(rng, talkativeness=traits.talkativeness, negative=mood == "neg"):
            comment = compose(rng, cues_for(mood), mood=mood)  # type: ignore[arg-type]
        story.responses.append(
            SimResponse(
                story.customer.external_id,
                survey,
                channel,
                touchpoint,
                at,
                value,
                comment,
                context,
                story.next_key("r"),
            )
        )
