"""Who may be asked, when and how: the demo's invitations pass the contact policy and consent as real ones do.

The simulation asks `governance.policy.decide` (the same pure function the invitations service calls) before every
invitation, with the organisation's policy, the customer's consent at that moment and their contacts so far. So
the year's invitations keep to the frequency cap and the surveys' re-survey intervals, SMS goes only to customers
who opted in to it (the others get the email fallback), and opted-out customers are not asked; what was held back
is written as a suppressed invitation with its reason, as the invitations service stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cxloop.demo.story import SimInvitation, Story, SurveyRole
from cxloop.governance import policy as contact_policy
from cxloop.governance.policy import Decision
from cxloop.surveys.enums import ResponseLimit

# The simulation's channels as the governance channel registry names them (an in-app prompt is the widget's).
POLICY_CHANNELS = {"email": "email", "sms": "sms", "link": "link", "in_app": "widget"}
_SIM_CHANNELS = {v: k for k, v in POLICY_CHANNELS.items()}
_FALLBACKS = {"sms": ("email",)}  # the demo's triggers fall back from SMS to email, as a trigger rule may


@dataclass(frozen=True, slots=True)
class SurveyRules:
    """A programme's own limits (set on the survey when the builder creates it)."""

    resurvey_days: int
    response_limit: ResponseLimit
    response_period_days: int | None = None


# How often each programme may ask and be answered; the builder configures the surveys with these.
SURVEY_RULES = {
    SurveyRole.relationship_nps: SurveyRules(60, ResponseLimit.per_period, 60),
    SurveyRole.support_csat: SurveyRules(14, ResponseLimit.per_invitation),
    SurveyRole.delivery_csat: SurveyRules(21, ResponseLimit.per_invitation),
    SurveyRole.onboarding_ces: SurveyRules(90, ResponseLimit.once),
}


class ContactGate:
    """The contact policy as the simulation meets it: one decision per invitation, in time order per customer."""

    def __init__(self, policy: Any) -> None:  # governance's ContactPolicy row
        self.policy = policy

    def decide(self, story: Story, survey: SurveyRole, channel: str, at: datetime) -> Decision:
        rules = SURVEY_RULES[survey]
        window_start = at - timedelta(days=self.policy.window_days)
        sent = [i for i in story.invitations if i.reason is None]
        to_survey = [i.at for i in sent if i.survey is survey]
        answered = [r.at for r in story.responses if r.survey is survey and r.at <= at]
        customer = story.customer
        return contact_policy.decide(
            self.policy,
            # Ids do not exist before the customers are written; the demo's policy has no holdout nor sampling,
            # which are the only rules that read it.
            recipient=contact_policy.Recipient(
                customer.index + 1, customer.email, customer.phone, customer.timezone, story.consent.states(at)
            ),
            channel=POLICY_CHANNELS[channel],
            fallbacks=_FALLBACKS.get(channel, ()),
            history=contact_policy.History(
                recent=[(i.at, POLICY_CHANNELS[i.channel]) for i in sent if i.at > window_start],
                last_to_survey=max(to_survey, default=None),
                last_answered=max(answered, default=None),
            ),
            resurvey_days=rules.resurvey_days,
            responses=contact_policy.ResponseRule(rules.response_limit, rules.response_period_days),
            occurrence=f"{survey.value}:{at.isoformat()}",
            at=at,
        )

    def invite(self, story: Story, survey: SurveyRole, channel: str, touchpoint: str, at: datetime) -> SimInvitation:
        """The invitation as the policy lets it go (channel, moment) or holds it back (with the reason)."""
        decision = self.decide(story, survey, channel, at)
        chosen = _SIM_CHANNELS[decision.channel]
        invitation = SimInvitation(
            story.customer.external_id,
            survey,
            chosen,
            touchpoint,
            decision.at,
            requested_channel=POLICY_CHANNELS[channel] if chosen != channel else None,
            reason=decision.reason.value if decision.reason else None,
            policy=decision.policy,
        )
        story.invitations.append(invitation)
        return invitation
