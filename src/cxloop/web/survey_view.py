"""What the survey builder shows around the form, read from each owning domain: the life-cycle buttons the API
allows, the channels that reach the survey (hosted link, kiosk, widget sites; email and SMS through trigger rules),
its trigger rules and the contact policies its invitations pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cxloop.channels.hosted import screens
from cxloop.channels.widget import service as widget_sites
from cxloop.customers import service as customers
from cxloop.governance import scoped_policies
from cxloop.governance.schemas import ContactPolicyRead
from cxloop.surveys import lifecycle
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.schemas import SurveyRead
from cxloop.triggers import service as triggers
from cxloop.triggers.enums import TriggerKind
from cxloop.triggers.schemas import SENDABLE, TriggerRuleRead

# The life-cycle buttons' words, by the stored status they lead to and the one they leave (scheduling needs
# opens_at: set it and save instead).
_PUBLISH = {
    SurveyStatus.draft: "Publish",
    SurveyStatus.scheduled: "Publish now",
    SurveyStatus.paused: "Resume",
    SurveyStatus.closed: "Reopen",
}
_OTHER_MOVES = {SurveyStatus.paused: "Pause", SurveyStatus.closed: "Close"}
ANCHORS = ("signup_date", "account_renewal_date", "first_event:")


@dataclass(frozen=True)
class Move:
    status: str
    label: str


def moves(status: SurveyStatus) -> list[Move]:
    """The status changes a person may make from `status` (surveys/lifecycle.py), with their button's words."""
    found = []
    for target in (SurveyStatus.live, SurveyStatus.paused, SurveyStatus.closed):
        if target not in lifecycle.TRANSITIONS[status]:
            continue
        label = _PUBLISH[status] if target == SurveyStatus.live else _OTHER_MOVES[target]
        found.append(Move(target.value, label))
    return found


@dataclass
class Channels:
    """Where the survey is answered."""

    link: str | None  # the public hosted link, once published
    kiosk: str | None  # the kiosk page, when the survey suits one
    kiosk_problem: str | None
    widget_sites: list[tuple[str, str]] = field(default_factory=list)  # (site name, how it uses the survey)


def channels(session: Session, survey: SurveyRead) -> Channels:
    published = survey.status != SurveyStatus.draft
    problem = screens.Flow(survey.definition).kiosk_problem()
    sites, _ = widget_sites.list_sites(session)
    rules = widget_sites.rules_of(session, site_ids=[site.id for site in sites])
    used = []
    for site in sites:
        if site.feedback_survey_id == survey.id:
            used.append((site.name, "its feedback button"))
        prompts = [rule for rule, key in rules.get(site.id, []) if key == survey.key]
        if prompts:
            used.append((site.name, f"{len(prompts)} proactive prompt rule{'s' if len(prompts) > 1 else ''}"))
    return Channels(
        link=f"/s/k/{survey.key}" if published else None,
        kiosk=f"/kiosk/{survey.key}" if published and problem is None else None,
        kiosk_problem=problem,
        widget_sites=used,
    )


def trigger_rules(session: Session, survey_id: int) -> list[TriggerRuleRead]:
    """The trigger rules that invite to this survey."""
    return [triggers.rule_read(rule) for rule in triggers.list_rules(session) if rule.survey_id == survey_id]


def trigger_choices(session: Session) -> dict[str, Any]:
    """What the new-rule form offers: kinds, channels, segments, time anchors."""
    segments = customers.list_segments(session, limit=200).items
    return {
        "kinds": [kind.value for kind in TriggerKind],
        "channels": [channel.value for channel in SENDABLE],
        "segments": [(segment.id, segment.name) for segment in segments],
        "anchors": ANCHORS,
    }


def policy_words(policy: ContactPolicyRead) -> str:
    """One line saying what a contact policy allows."""
    quiet = (
        f"quiet {policy.quiet_start}–{policy.quiet_end}" if policy.quiet_start != policy.quiet_end else "no quiet hours"
    )
    return (
        f"at most {policy.max_invitations} invitation{'s' if policy.max_invitations != 1 else ''} per "
        f"{policy.window_days} days across all surveys; {quiet} ({policy.default_timezone} when the customer has no "
        f"timezone); {policy.sampling_rate * 100:g} % of eligible invitations sent; {policy.holdout_percent:g} % of "
        "customers held out"
    )


def policies(session: Session) -> list[tuple[ContactPolicyRead, str]]:
    """Every contact policy in the order they are tried, with its words."""
    reads = [scoped_policies.read(found) for found in scoped_policies.list_policies(session)]
    return [(read, policy_words(read)) for read in reads]
