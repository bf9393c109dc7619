"""Closing the loop in the demo: the follow-up templates, the improvement announced for the billing migration, the
follow-ups recorded as sent, and the customers' answers to the verification re-surveys (docs/demo.md "Follow-ups
and verification re-surveys").

Nothing leaves the process: a follow-up is asked for through `follow_ups.request_follow_up` (consent, address,
holdout and quiet hours checked as for any other), then claimed and recorded as sent through the sender's own
service calls (`claim`, `record_sent`), with the clock pinned to the moment it would have left, so the case's
first-response clock, activity log, timeline and `follow_up.sent` are what the worker would have made; only the
exchange with the mail server is skipped. A re-survey's invitation is likewise marked sent, and its answer stored
through the channels' `invitations.answers.record_answers` and put on the case by `cases.record_answers`.
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy.orm import Session

from cxloop.cases import service as cases
from cxloop.cases.errors import FollowUpRefused
from cxloop.cases.follow_up_schemas import FollowUpAsk, ImprovementCreate, TemplateCreate
from cxloop.cases.schemas import Actor
from cxloop.cases.service import follow_up_templates, follow_ups, improvements, verification
from cxloop.invitations import answers as channel_answers
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import InvitationStatus
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.templates import get_template

APOLOGY, FIXED = "apology", "we-fixed-it"
SENT_DETAIL = "demo: recorded as sent (the demo sends nothing)"
TEMPLATES = (
    {
        "name": APOLOGY,
        "subject": "About your feedback ({case_reference})",
        "body": (
            "Hi {first_name},\n\nThank you for telling us how things went, and I'm sorry we let you down. I have "
            "picked this up personally and will keep you posted until it is sorted.\n\n{agent_name}, {organisation}"
        ),
        "translations": {
            "de": {
                "subject": "Zu Ihrem Feedback ({case_reference})",
                "body": (
                    "Hallo {first_name},\n\ndanke für Ihre offenen Worte, und es tut mir leid, dass wir Sie "
                    "enttäuscht haben. Ich kümmere mich persönlich darum und halte Sie auf dem Laufenden.\n\n"
                    "{agent_name}, {organisation}"
                ),
            },
            "nl": {
                "subject": "Over uw feedback ({case_reference})",
                "body": (
                    "Hallo {first_name},\n\nBedankt voor uw eerlijke reactie, en het spijt me dat we u hebben "
                    "teleurgesteld. Ik pak dit persoonlijk op en houd u op de hoogte.\n\n{agent_name}, {organisation}"
                ),
            },
        },
    },
    {
        "name": FIXED,
        "subject": "We fixed it ({case_reference})",
        "body": (
            "Hi {first_name},\n\nA quick note to say the problem you told us about is fixed. Thank you for taking "
            "the time to tell us: it made {organisation} better. Just reply if anything is still not right.\n\n"
            "{agent_name}"
        ),
        "translations": {
            "de": {
                "subject": "Erledigt ({case_reference})",
                "body": (
                    "Hallo {first_name},\n\nkurz zur Info: Das Problem, das Sie uns gemeldet haben, ist behoben. "
                    "Danke, dass Sie sich die Zeit genommen haben. Antworten Sie einfach, falls noch etwas nicht "
                    "stimmt.\n\n{agent_name}"
                ),
            },
            "nl": {
                "subject": "Opgelost ({case_reference})",
                "body": (
                    "Hallo {first_name},\n\nHet probleem dat u ons meldde is opgelost. Bedankt dat u de tijd nam om "
                    "het ons te laten weten. Antwoord gerust als er nog iets niet klopt.\n\n{agent_name}"
                ),
            },
        },
    },
)
IMPROVEMENT = {
    "title": "Invoices are right again after the billing migration",
    "root_cause": "billing-migration",
    "subject": "You told us, we fixed it: {improvement}",
    "body": (
        "Hi {first_name},\n\nYou told us about wrong invoices after our billing migration. We have corrected every "
        "affected invoice and changed how charges are checked before they go out. Thank you for telling us.\n\n"
        "{organisation}"
    ),
    "translations": {
        "de": {
            "subject": "Sie haben es uns gesagt, wir haben es behoben: {improvement}",
            "body": (
                "Hallo {first_name},\n\nSie hatten uns von falschen Rechnungen nach unserer Umstellung berichtet. "
                "Alle betroffenen Rechnungen sind korrigiert, und jede Abbuchung wird jetzt vorher geprüft. "
                "Danke für Ihren Hinweis.\n\n{organisation}"
            ),
        }
    },
}
CUSTOMER_REPLIES = (
    "Thanks for getting back to me so quickly.",
    "Appreciate it. The invoice still shows the old amount though, can you check?",
    "Thank you, a call on Thursday morning would work.",
    "ok thanks",
)
# The share of answered re-surveys that recover (NPS 7+, CSAT 4+), with and without a follow-up: a plausible
# effect of hearing back, not a huge one.
RECOVERY_SHARE = {True: 0.55, False: 0.40}
ANSWER_SHARE = 0.4  # re-surveys answered
VERIFY_METRICS = ("nps", "csat")  # the metrics of the demo's case-opening rules


def write_setup(session: Session) -> None:
    """The follow-up templates, and the re-surveys' own surveys (live), so a re-survey is not refused because the
    customer answered the opening survey recently."""
    for metric in VERIFY_METRICS:
        key = verification.survey_key(metric)
        if surveys.get_survey(session, key=key) is None:
            survey = get_template(key).model_copy(update={"status": SurveyStatus.live})
            surveys.create_survey(session, data=survey)
    have = {t.name for t in follow_up_templates.list_templates(session)}
    for template in TEMPLATES:
        if template["name"] not in have:
            follow_up_templates.create_template(session, data=TemplateCreate.model_validate(template))


def ask(session: Session, *, case_id: int, template: str, actor: Actor, now: datetime) -> tuple[int, datetime] | None:
    """Ask for a follow-up by email: (its id, when it leaves), or None when the contact rules refuse it."""
    try:
        row = follow_ups.request_follow_up(
            session, case_id=case_id, ask=FollowUpAsk(template=template), actor=actor, now=now
        )
    except FollowUpRefused:
        return None
    return row.id, row.next_attempt_at


def deliver(session: Session, follow_up_id: int, *, now: datetime) -> bool:
    """Claim a due follow-up and record it sent (the sender's calls, without the mail server); whether it went."""
    if follow_ups.claim(session, follow_up_id, now=now) is None:
        return False
    follow_ups.record_sent(session, follow_up_id, detail=SENT_DETAIL, now=now)
    return True


def reply(session: Session, rng: random.Random, follow_up_id: int, *, now: datetime) -> None:
    follow_ups.record_reply(
        session,
        follow_up_id=follow_up_id,
        channel="email",
        message_id=f"<demo-reply-{follow_up_id}@larkspur.example>",
        body=rng.choice(CUSTOMER_REPLIES),
        now=now,
    )


def announce_improvement(session: Session, *, actor: Actor, now: datetime) -> int:
    """Announce the billing fix to the customers whose cases it was the root cause of; the follow-ups sent."""
    data = ImprovementCreate.model_validate(IMPROVEMENT | {"shipped_at": now})
    improvement = improvements.create_improvement(session, data=data, now=now)
    improvements.announce(session, improvement_id=improvement.id, actor=actor, now=now)
    return sum(deliver(session, follow_up_id, now=now) for follow_up_id in follow_ups.due_ids(session, now=now))


def survey_sent(session: Session, invitation_id: int, *, now: datetime) -> bool:
    """Mark a re-survey's invitation sent (the demo sends nothing); whether it was waiting to go."""
    invitation = invitations.get(session, invitation_id)
    if invitation.status != InvitationStatus.scheduled.value:
        return False
    invitations.mark_sent(invitation, detail=SENT_DETAIL, now=now)
    return True


def after_score(rng: random.Random, metric: str, before: int, *, followed_up: bool) -> int:
    """The re-survey's answer of a customer who was unhappy at `before`."""
    recovered = rng.random() < RECOVERY_SHARE[followed_up]
    if metric == "nps":
        return rng.choice((7, 7, 7, 8, 8, 8, 9, 9, 10)) if recovered else min(6, max(0, before + rng.randint(-1, 2)))
    return rng.choice((4, 4, 5)) if recovered else min(3, max(1, before + rng.randint(0, 1)))


def answer_survey(session: Session, invitation_id: int, metric: str, score: int, *, now: datetime) -> int:
    """The customer answers the re-survey: the response through the channels' path, then its score on the case;
    the response's id."""
    invitation = invitations.get(session, invitation_id)
    response_id = channel_answers.record_answers(
        session, invitation, {metric: score}, channel="email", complete=True, now=now
    )
    cases.record_answers(session, invitation_ids=[invitation_id], now=now)
    return response_id
