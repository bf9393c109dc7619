"""An analyst's checks of the simulated year: is it realistic, and are the planted patterns there?

Computed from the `DemoWorld` before it is written (the same rows the builder writes), so a test can check them on
a small build and `bench/demo_realism.py` prints them for docs/demo.md. Every figure is a plain number; the tests
say which range is realistic.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from statistics import fmean

from cxloop.customers.enums import OutcomeKind
from cxloop.demo.behaviour import zone
from cxloop.demo.consent import ConsentPlan
from cxloop.demo.contact import POLICY_CHANNELS
from cxloop.demo.story import SimResponse, Story, SurveyRole
from cxloop.demo.world import DemoWorld
from cxloop.governance.channels import registry as channels

_CAPPED = {name for name in POLICY_CHANNELS if (spec := channels.get(POLICY_CHANNELS[name])) and spec.cap_weight > 0}


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def _rate(flags: Iterable[bool]) -> float:
    values = list(flags)
    return _share(sum(values), len(values))


@dataclass
class Realism:
    """The figures; shares are 0-1."""

    comments: int = 0
    distinct_share: float = 0.0
    typo_share: float = 0.0  # comments with at least one typo
    words: dict[str, float] = field(default_factory=dict)  # length band -> share of comments
    comments_by_language: dict[str, int] = field(default_factory=dict)
    own_language_share: dict[str, float] = field(default_factory=dict)  # de/es customers' comments in their language
    scores: dict[str, dict[int, int]] = field(default_factory=dict)  # survey -> score -> count
    nps: float = 0.0
    nps_floor_share_of_detractors: float = 0.0  # 0-1 among 0-6
    nps_top_share: float = 0.0  # 9-10 among all
    answers_in_working_hours: float = 0.0  # Mon-Fri 08:00-18:00 in the customer's time zone
    answers_at_night: float = 0.0  # 00:00-06:00 local
    answers_at_weekend: float = 0.0
    response_rates: dict[str, float] = field(default_factory=dict)  # channel -> answered / sent
    invitations_requested: int = 0
    invitations_sent: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)  # reason -> count
    sms_fell_back_to_email: int = 0
    sms_without_consent: int = 0
    capped_within_window: float = 0.0  # email/SMS/widget invitations sent within 14 days of another one
    patterns: dict[str, float] = field(default_factory=dict)


def measure(world: DemoWorld) -> Realism:
    found = Realism()
    stories = world.stories
    responses = [r for s in stories for r in s.responses]
    _comments(found, stories, responses)
    _scores(found, responses)
    _timing(found, stories)
    _invitations(found, stories, window_days=14)
    _patterns(found, world, responses)
    return found


def _comments(found: Realism, stories: list[Story], responses: list[SimResponse]) -> None:
    written = [r for r in responses if r.comment is not None and r.comment.text.strip()]
    texts = [r.comment.text for r in written if r.comment is not None]
    found.comments = len(texts)
    found.distinct_share = _share(len(set(texts)), len(texts))
    found.typo_share = _rate(r.comment is not None and r.comment.typos > 0 for r in written)
    bands = Counter(_band(len(text.split())) for text in texts)
    found.words = {band: _share(bands[band], len(texts)) for band in ("1-3", "4-10", "11-25", "26+")}
    found.comments_by_language = dict(Counter(r.language for r in written))
    locale_of = {s.customer.external_id: s.customer.country.locale for s in stories}
    for language in ("de", "es"):
        theirs = [r for r in written if locale_of[r.customer].startswith(language)]
        found.own_language_share[language] = _rate(r.language == language for r in theirs)


def _band(words: int) -> str:
    return "1-3" if words <= 3 else "4-10" if words <= 10 else "11-25" if words <= 25 else "26+"


def _scores(found: Realism, responses: list[SimResponse]) -> None:
    for survey in SurveyRole:
        counts = Counter(r.score for r in responses if r.survey is survey)
        found.scores[survey.value] = dict(sorted(counts.items()))
    nps = found.scores[SurveyRole.relationship_nps.value]
    total = sum(nps.values())
    detractors = sum(n for score, n in nps.items() if score <= 6)
    promoters = sum(n for score, n in nps.items() if score >= 9)
    found.nps = round(100 * (promoters - detractors) / total, 1) if total else 0.0
    found.nps_floor_share_of_detractors = _share(nps.get(0, 0) + nps.get(1, 0), detractors)
    found.nps_top_share = _share(promoters, total)


def _timing(found: Realism, stories: list[Story]) -> None:
    working = night = weekend = total = 0
    for story in stories:
        tz = zone(story.customer.timezone)
        for response in story.responses:
            local = response.at.astimezone(tz)
            total += 1
            weekend += local.weekday() >= 5
            night += local.hour < 6
            working += local.weekday() < 5 and 8 <= local.hour < 18
    found.answers_in_working_hours = _share(working, total)
    found.answers_at_night = _share(night, total)
    found.answers_at_weekend = _share(weekend, total)


def _invitations(found: Realism, stories: list[Story], *, window_days: int) -> None:
    sent_by_channel: Counter[str] = Counter()
    answered_by_channel: Counter[str] = Counter()
    suppressed: Counter[str] = Counter()
    close = capped = 0
    for story in stories:
        plan: ConsentPlan = story.consent
        last = None
        for invitation in sorted(story.invitations, key=lambda i: i.at):
            found.invitations_requested += 1
            if invitation.reason is not None:
                suppressed[invitation.reason] += 1
                continue
            found.invitations_sent += 1
            sent_by_channel[invitation.channel] += 1
            answered_by_channel[invitation.channel] += invitation.response_key is not None
            found.sms_fell_back_to_email += invitation.requested_channel == "sms"
            if invitation.channel == "sms" and (plan.sms_opt_in is None or plan.sms_opt_in > invitation.at):
                found.sms_without_consent += 1
            if invitation.channel in _CAPPED:
                capped += 1
                close += last is not None and invitation.at - last < timedelta(days=window_days)
                last = invitation.at
    found.response_rates = {c: _share(answered_by_channel[c], n) for c, n in sorted(sent_by_channel.items())}
    found.suppressed = dict(suppressed.most_common())
    found.capped_within_window = _share(close, capped)


def _patterns(found: Realism, world: DemoWorld, responses: list[SimResponse]) -> None:
    period, p = world.period, found.patterns
    # The outage week against the eight weeks before it: relationship NPS, and the share of comments about quality.
    before = (period.incident_start - timedelta(weeks=8), period.incident_start)
    during = (period.incident_start, period.incident_end)
    for name, (start, end) in (("before", before), ("outage_week", during)):
        inside = [r for r in responses if start <= r.at < end]
        nps = [r.score for r in inside if r.survey is SurveyRole.relationship_nps]
        p[f"incident_nps_{name}"] = _nps(nps)
        p[f"incident_nps_n_{name}"] = len(nps)
        commented = [r for r in inside if r.comment is not None and r.comment.themes]
        about_quality = [r for r in commented if r.comment is not None and "product_quality" in r.comment.themes]
        p[f"incident_quality_comment_share_{name}"] = _share(len(about_quality), len(commented))
        p[f"incident_quality_comments_per_week_{name}"] = round(
            len(about_quality) / ((end - start) / timedelta(weeks=1)), 1
        )
    # Onboarding effort and SMB churn; NPS category and churn; support wait and CSAT.
    smb = [s for s in world.stories if s.customer.is_smb]
    ces = {
        s.customer.external_id: r.score
        for s in world.stories
        for r in s.responses
        if r.survey.value == "onboarding_ces"
    }
    for label, low, high in (("ces_1_3", 1, 3), ("ces_4", 4, 4), ("ces_5_7", 5, 7)):
        group = [s for s in smb if low <= ces.get(s.customer.external_id, 0) <= high]
        p[f"smb_churn_{label}"] = _rate(s.churned_at is not None for s in group)
        p[f"smb_n_{label}"] = len(group)
    for segment in ("smb", "enterprise"):
        scores = [
            r.score
            for s in world.stories
            if s.customer.segment == segment
            for r in s.responses
            if r.survey.value == "onboarding_ces"
        ]
        p[f"mean_ces_{segment}"] = round(fmean(scores), 2) if scores else 0.0
    latest: dict[str, int] = {}
    for r in sorted(responses, key=lambda r: r.at):
        if r.survey is SurveyRole.relationship_nps:
            latest[r.customer] = r.score
    churned = {s.customer.external_id for s in world.stories if s.churned_at is not None}
    for label, low, high in (("detractors", 0, 6), ("passives", 7, 8), ("promoters", 9, 10)):
        answered = [c for c, score in latest.items() if low <= score <= high]
        p[f"churn_{label}"] = _rate(c in churned for c in answered)
    waits = {t.ticket_id: t.wait_minutes for s in world.stories for t in s.tickets}
    by_wait: dict[str, list[int]] = defaultdict(list)
    for r in responses:
        if r.survey is SurveyRole.support_csat and r.context.get("ticket_id") in waits:
            minutes = waits[r.context["ticket_id"]]
            by_wait["under_1h" if minutes < 60 else "1_4h" if minutes < 240 else "over_4h"].append(r.score)
    for band in ("under_1h", "1_4h", "over_4h"):
        p[f"csat_wait_{band}"] = round(fmean(by_wait[band]), 2) if by_wait[band] else 0.0
        p[f"csat_wait_n_{band}"] = len(by_wait[band])
    renewals = [o for o in world.outcomes if o.kind is OutcomeKind.renewed and o.account]
    p["renewals"] = len(renewals)
    p["renewed_arr"] = float(sum(o.value for o in renewals if o.value is not None))
    p["accounts_lost"] = sum(
        1 for o in world.outcomes if o.kind is OutcomeKind.churned and o.account and not o.customer
    )


def _nps(scores: list[int]) -> float:
    if not scores:
        return 0.0
    return round(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores), 1)
