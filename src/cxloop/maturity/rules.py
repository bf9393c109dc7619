"""Maturity levels from usage figures: pure (no database). Each pillar is a ladder: level L is reached when every
requirement of levels 2..L holds, so a pillar's level says what is true of the workspace, and the next step is the
first requirement of the level above that does not hold yet (docs/analytics.md "Maturity")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cxloop.analytics import stats
from cxloop.maturity.schemas import Evidence, PillarRead


@dataclass(frozen=True, slots=True)
class Usage:
    """How the workspace was used in the window (counts) and what is configured."""

    channels: dict[str, int]
    touchpoints: int
    touchpoints_heard: int
    invitations_sent: int
    invitations_answered: int
    scored: int  # responses with an NPS, CSAT or CES answer
    comments: int
    comments_enriched: int
    configured: dict[str, int]
    customers: int
    customers_with_outcomes: int
    cases: int
    cases_closed: int
    cases_followed_up: int
    sla_cases: int  # cases whose close clock counts towards the 48 h target
    sla_met: int
    min_n: int

    def share(self, part: int, whole: int) -> float | None:
        return part / whole * 100 if whole else None

    @property
    def active_channels(self) -> int:
        return sum(1 for n in self.channels.values() if n > 0)

    @property
    def coverage(self) -> float | None:
        return self.share(self.touchpoints_heard, self.touchpoints)

    @property
    def response_rate(self) -> float | None:
        return self.share(self.invitations_answered, self.invitations_sent)

    @property
    def enriched(self) -> float | None:
        return self.share(self.comments_enriched, self.comments)

    @property
    def outcomes(self) -> float | None:
        return self.share(self.customers_with_outcomes, self.customers)

    @property
    def closed_loop(self) -> float | None:
        return self.share(self.cases_closed, self.cases)

    @property
    def followed_up(self) -> float | None:
        return self.share(self.cases_followed_up, self.cases_closed)

    @property
    def sla(self) -> float | None:
        return self.share(self.sla_met, self.sla_cases)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a level needs (`what`), whether the usage meets it, and the concrete step when it does not."""

    what: str
    met: Callable[[Usage], bool]
    step: str


def at_least(value: float | None, threshold: float) -> bool:
    return value is not None and value >= threshold


# Pillar -> level -> its requirements (level 1 needs nothing).
LADDERS: dict[str, dict[int, tuple[Requirement, ...]]] = {
    "listen": {
        2: (
            Requirement(
                "feedback arrives",
                lambda u: sum(u.channels.values()) > 0,
                "Collect feedback: publish a survey and share its link, or import responses (`cxloop import`).",
            ),
        ),
        3: (
            Requirement(
                "2+ channels active",
                lambda u: u.active_channels >= 2,
                "Open a second channel: email invitations, the website widget, SMS or helpdesk tickets.",
            ),
            Requirement(
                "25%+ of touchpoints heard",
                lambda u: at_least(u.coverage, 25),
                "Ask at more journey touchpoints: tie surveys or triggers to the touchpoints not heard yet.",
            ),
        ),
        4: (
            Requirement(
                "3+ channels active",
                lambda u: u.active_channels >= 3,
                "Add a third channel, so customers who never open email are heard too.",
            ),
            Requirement(
                "50%+ of touchpoints heard",
                lambda u: at_least(u.coverage, 50),
                "Cover half the touchpoints: add a trigger rule for each key moment (delivery, support, renewal).",
            ),
            Requirement(
                "an enabled trigger rule",
                lambda u: u.configured.get("trigger_rules", 0) > 0,
                "Automate asking: add a trigger rule so events (ticket solved, order delivered) send a survey.",
            ),
            Requirement(
                "response rate 10%+",
                lambda u: at_least(u.response_rate, 10),
                "Lift the response rate above 10%: shorter surveys, the right moment, reminders.",
            ),
        ),
        5: (
            Requirement(
                "4+ channels active",
                lambda u: u.active_channels >= 4,
                "Listen everywhere customers speak: add reviews or in-product feedback as a fourth channel.",
            ),
            Requirement(
                "80%+ of touchpoints heard",
                lambda u: at_least(u.coverage, 80),
                "Close the remaining gaps in the journey: 80% of touchpoints heard.",
            ),
            Requirement(
                "response rate 20%+",
                lambda u: at_least(u.response_rate, 20),
                "Reach a 20% response rate: test timing and channel with an experiment.",
            ),
        ),
    },
    "understand": {
        2: (
            Requirement(
                "enough scored answers to read a metric",
                lambda u: u.scored >= u.min_n,
                "Collect enough scored answers (NPS, CSAT or CES) in the window to read a metric.",
            ),
        ),
        3: (
            Requirement(
                "a customer segment",
                lambda u: u.configured.get("segments", 0) > 0,
                "Define segments (plan, region, tenure) to see whom a score is about: `cxloop segments`.",
            ),
            Requirement(
                "half the comments enriched",
                lambda u: at_least(u.enriched, 50),
                "Run text analytics on comments (the worker enriches new ones; `cxloop text` backfills).",
            ),
        ),
        4: (
            Requirement(
                "themes in use",
                lambda u: u.configured.get("themes", 0) > 0,
                "Discover or define themes so comments are counted by topic: `cxloop text themes`.",
            ),
            Requirement(
                "outcomes for 10%+ of customers",
                lambda u: at_least(u.outcomes, 10),
                "Link outcomes (churn, renewal, revenue) to customers, so scores can be tied to money.",
            ),
        ),
        5: (
            Requirement(
                "outcomes for half the customers",
                lambda u: at_least(u.outcomes, 50),
                "Import outcomes for most customers (from billing or the CRM) to model churn and revenue at risk.",
            ),
            Requirement(
                "a metric target",
                lambda u: u.configured.get("targets", 0) > 0,
                "Set a target per metric and segment (`cxloop analyze targets add`) and track its odds.",
            ),
        ),
    },
    "act": {
        2: (
            Requirement(
                "alerts or cases",
                lambda u: u.configured.get("alert_rules", 0) > 0 or u.cases > 0,
                "Add an alert rule that opens a case for each detractor: `cxloop alerts`.",
            ),
        ),
        3: (
            Requirement(
                "half the cases closed",
                lambda u: at_least(u.closed_loop, 50),
                "Close the loop: resolve at least half the cases opened (assign owners, route to teams).",
            ),
        ),
        4: (
            Requirement(
                "80%+ closed within the SLA",
                lambda u: at_least(u.sla, 80),
                "Meet the SLA: close 80% of cases within 48 working hours (routing rules, SLA policies).",
            ),
            Requirement(
                "half the closed cases followed up",
                lambda u: at_least(u.followed_up, 50),
                "Tell customers what was done: send follow-ups from templates when cases close.",
            ),
        ),
        5: (
            Requirement(
                "80%+ of cases closed",
                lambda u: at_least(u.closed_loop, 80),
                "Close 80% of cases: review the ones that stall each week in the team digest.",
            ),
            Requirement(
                "changes measured by an experiment",
                lambda u: u.configured.get("experiments", 0) > 0,
                "Measure what a fix is worth: run it as an experiment (`cxloop experiments plan`).",
            ),
        ),
    },
}


def score(pillar: str, usage: Usage, evidence: list[Evidence]) -> PillarRead:
    """The pillar's level, what it reached, what the next level misses, and the next concrete step."""
    level, reached = 1, list[str]()
    for step_level in sorted(LADDERS[pillar]):
        requirements = LADDERS[pillar][step_level]
        unmet = [r for r in requirements if not r.met(usage)]
        if unmet:
            missing = [r.what for r in unmet]
            return PillarRead(
                pillar=pillar, level=level, reached=reached, missing=missing, next_step=unmet[0].step, evidence=evidence
            )
        level = step_level
        reached += [r.what for r in requirements]
    return PillarRead(
        pillar=pillar,
        level=level,
        reached=reached,
        missing=[],
        next_step="Keep the level: review these figures each quarter.",
        evidence=evidence,
    )


def count(name: str, label: str, value: int) -> Evidence:
    return Evidence(name=name, label=label, value=value, unit="count")


def share(name: str, label: str, part: int, whole: int, min_n: int, *, census: bool = False) -> Evidence | None:
    """A share in % with its Wilson interval; None when there is nothing to divide by. A `census` (every touchpoint,
    every customer) has no sampling error: no interval and no small-sample flag."""
    if whole <= 0:
        return None
    if census:
        return Evidence(name=name, label=label, value=part / whole * 100, unit="%", n=whole)
    interval = stats.wilson_interval(part, whole)
    low, high = (None, None) if interval is None else interval
    return Evidence(
        name=name,
        label=label,
        value=part / whole * 100,
        unit="%",
        n=whole,
        ci_low=low,
        ci_high=high,
        small_sample=whole < min_n,
    )
