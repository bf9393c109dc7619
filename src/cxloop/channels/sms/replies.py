"""What a customer's SMS reply means, and what cxloop answers (docs/channels-email-sms.md, "Replying by SMS").

    STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT   opt out of SMS (consent ledger: sms_reply, by the customer)
    START, YES, UNSTOP                              opt back in
    HELP, INFO                                      how to answer and opt out
    anything else, when the newest message the number got was a case follow-up (within FOLLOW_UP_REPLY_WINDOW)
                                                    a reply on that case (cases.service.follow_ups.record_reply),
                                                    answered with nothing: the case's agent answers
    9                                               the score of the latest open SMS invitation (a partial
                                                    response); the survey's follow-up question is asked back
    9 great service                                 score and follow-up answer together (complete)
    great service                                   after a score: the follow-up answer (complete)

A number out of the question's range gets a polite correction and stores nothing. Keywords are matched on the
whole message, case-insensitively, like carriers do. Messages from numbers no customer has get no answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from cxloop.cases.service import follow_ups
from cxloop.channels import catalogue
from cxloop.channels import messaging_content as content
from cxloop.channels.sms.wire import InboundSms
from cxloop.collection import service as collection
from cxloop.collection.enums import Channel
from cxloop.collection.errors import InvalidResponses
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers_service
from cxloop.governance import consent
from cxloop.governance.enums import ConsentSource
from cxloop.governance.purposes import EVERY_PURPOSE
from cxloop.invitations import availability
from cxloop.invitations import service as invitations
from cxloop.invitations.answers import record_answers
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.tokens import TokenSigner
from cxloop.surveys import service as surveys

if TYPE_CHECKING:
    from cxloop.customers.models import Customer
    from cxloop.invitations.models import Invitation

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
SMS = "sms"
FOLLOW_UP_REPLY_WINDOW = timedelta(days=14)  # how long after a follow-up SMS a text from the customer answers it
# A number, then (after a space or punctuation) the comment: "9", "9 great service", "7, slow delivery".
_SCORE_REPLY = re.compile(r"^(\d{1,6})(?:[\s,.;:!?/)-]+(.*))?$", re.DOTALL)
# Invitations a reply can still answer: sent or opened, or answered with the follow-up still to come.
_OPEN = (InvitationStatus.sent, InvitationStatus.opened, InvitationStatus.answered)


@dataclass(frozen=True)
class ReplyContext:
    """What handling a reply needs besides the database: to rebuild the hosted page's link."""

    public_url: str
    signer: TokenSigner


def _phone_variants(sender: str) -> list[str]:
    digits = sender.lstrip("+")
    return sorted({sender, digits, f"+{digits}"})


def _customers(session: Session, sender: str) -> Sequence[Customer]:
    return customers_service.with_phones(session, phones=_phone_variants(sender))


def _keyword(body: str) -> str:
    return body.strip().strip(".!").strip().upper()


def _language(customers: Sequence[Customer]) -> str:
    locale = next((c.locale for c in customers if c.locale), None)
    return content.language_of(locale) if locale else catalogue.FALLBACK


def _set_sms_consent(
    session: Session, customers: Sequence[Customer], *, granted: bool, note: str, at: datetime
) -> None:
    states = consent.states_of(session, [c.id for c in customers])
    for customer in customers:
        if states.get(customer.id, {}).get((EVERY_PURPOSE, SMS)) is granted:
            continue  # already so: a repeated STOP writes no second ledger entry
        consent.record_change(
            session,
            customer_id=customer.id,
            purpose=EVERY_PURPOSE,  # STOP stops every message on the number, whatever it was for (carrier rules)
            channel=SMS,
            granted=granted,
            source=ConsentSource.sms_reply,
            actor="customer",
            note=note,
            at=at,
        )


def _latest_open(session: Session, customers: Sequence[Customer], now: datetime) -> Invitation | None:
    return invitations.latest_open(
        session,
        customer_ids=[c.id for c in customers],
        channel=Channel.sms.value,
        statuses=[status.value for status in _OPEN],
        now=now,
    )


def handle_reply(session: Session, message: InboundSms, context: ReplyContext, *, now: datetime | None = None) -> str:
    """Apply one inbound message; the text to answer with ('' for no answer)."""
    now = now or utcnow()
    customers = _customers(session, message.sender)
    if not customers:
        return ""
    words = catalogue.words("sms", _language(customers))
    keyword = _keyword(message.body)
    if keyword in STOP_WORDS:
        _set_sms_consent(session, customers, granted=False, note=f"replied {keyword}", at=now)
        return words["stopped"]
    if keyword in START_WORDS:
        _set_sms_consent(session, customers, granted=True, note=f"replied {keyword}", at=now)
        return words["started"]
    if keyword in HELP_WORDS:
        return words["help"]
    invitation = _latest_open(session, customers, now)
    follow_up = follow_ups.latest_sms_follow_up(
        session, customer_ids=[c.id for c in customers], since=now - FOLLOW_UP_REPLY_WINDOW
    )
    if follow_up is not None and (invitation is None or (invitation.sent_at or invitation.created_at) < follow_up[1]):
        # The newest message they got was a case follow-up: the reply goes to its case, and the agent answers.
        follow_ups.record_reply(
            session, follow_up_id=follow_up[0], channel=SMS, message_id=message.message_sid, body=message.body, now=now
        )
        return ""
    if invitation is None:
        return words["no_survey"]
    return _answer(session, invitation, message, context, now=now)


def _answer(
    session: Session, invitation: Invitation, message: InboundSms, context: ReplyContext, *, now: datetime
) -> str:
    survey = surveys.require_survey(session, survey_id=invitation.survey_id)
    definition = surveys.require_version(session, survey_id=survey.id).definition
    locale = content.survey_locale(definition, invitation.locale, survey.default_locale)
    words = catalogue.words("sms", content.language_of(locale))
    question = content.first_question(definition, locale, survey.default_locale)
    if not availability.accepts_responses(session, survey, now=now):
        return words["closed"]
    stored: dict[str, Any] | None = None
    if invitation.response_id is not None:
        response = collection.require_response(session, response_id=invitation.response_id)
        if not response.is_partial:
            return words["already_answered"]
        stored = response.answers
    if not question.numeric:
        return words["answer_at_link"].format(link=content.survey_url(context.public_url, context.signer, invitation))
    text = message.body.strip()
    scale = {"low": question.low, "high": question.high}
    match = _SCORE_REPLY.match(text)
    if match is None and stored is None:
        return words["score_first"].format(**scale)
    answers: dict[str, Any]
    if match is not None:
        score = int(match.group(1))
        if not question.accepts(score):
            return words["correction"].format(**scale)
        answers = {question.id: score}
        comment = (match.group(2) or "").strip()
    else:
        answers, comment = {}, text
    follow_up = content.follow_up(definition, {**(stored or {}), **answers}, locale, survey.default_locale)
    if comment and follow_up is not None:
        answers[follow_up[0]] = comment
        follow_up = None
    try:
        record_answers(
            session,
            invitation,
            answers,
            channel="sms",
            complete=follow_up is None,
            metadata={"sms_message_sid": message.message_sid},
            now=now,
        )
    except InvalidResponses:
        return words["correction"].format(**scale)
    return follow_up[1] if follow_up is not None else words["thanks"]
