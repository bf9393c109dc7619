"""What an invitation email or SMS says, taken from the survey: its wording in the customer's locale (falling back
to the survey's default locale), the first question with its score range, the follow-up question a score leads to,
and the links to the hosted survey page (`/s/{token}`) and to the unsubscribe page (`/u/{token}`,
also in case follow-ups)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cxloop.invitations import service as invitations
from cxloop.invitations.tokens import TokenSigner
from cxloop.surveys import rules
from cxloop.surveys.enums import QuestionKind

if TYPE_CHECKING:
    from cxloop.invitations.models import Invitation

UNSUBSCRIBE_PURPOSE = "unsubscribe"  # the token names an invitation
# The token names a customer: the unsubscribe links of messages sent outside invitations (case follow-ups), so a
# link keeps working after the message's own row is gone (retention).
CUSTOMER_UNSUBSCRIBE_PURPOSE = "unsubscribe-customer"
# An unsubscribe link must keep working long after the survey link expired (RFC 8058 asks for it to keep working
# for as long as mail can arrive); a year past the invitation's expiry covers mail read late.
UNSUBSCRIBE_GRACE = timedelta(days=365)


def survey_locale(definition: Mapping[str, Any], locale: str | None, default_locale: str) -> str:
    """The survey locale a customer gets: theirs if the survey speaks it (or its language), else the default.

    Mirrors surveys.rules.localized_text on the first question, so the chrome around the question (greeting,
    unsubscribe line) is in the same language as the question itself."""
    questions = definition.get("questions") or []
    texts: Mapping[str, str] = questions[0]["text"] if questions else {}
    if locale:
        if locale in texts:
            return locale
        language = locale.split("-", 1)[0].lower()
        for key in texts:
            if key.split("-", 1)[0].lower() == language:
                return key
    return default_locale


def language_of(locale: str) -> str:
    return locale.split("-", 1)[0].lower()


@dataclass(frozen=True)
class FirstQuestion:
    """The question an invitation asks in the message itself; `low`/`high` only for numeric kinds."""

    id: str
    kind: str
    text: str
    low: int | None
    high: int | None

    @property
    def numeric(self) -> bool:
        return self.low is not None and self.high is not None

    def accepts(self, value: int) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high


def first_question(definition: Mapping[str, Any], locale: str, default_locale: str) -> FirstQuestion:
    spec = (definition.get("questions") or [])[0]
    low = high = None
    if spec["kind"] in rules.NUMERIC_KINDS:
        low, high = rules.score_range(spec["kind"], spec.get("scale"))
    text = rules.localized_text(spec["text"], locale, default_locale)
    return FirstQuestion(spec["id"], spec["kind"], text, low, high)


def follow_up(
    definition: Mapping[str, Any], answers: Mapping[str, Any], locale: str, default_locale: str
) -> tuple[str, str] | None:
    """(id, wording) of the first open (text) question shown for these answers and not answered yet, or None.

    SMS asks only open questions: a choice question cannot be answered by a free-text reply."""
    specs = {spec["id"]: spec for spec in definition.get("questions") or []}
    for question in rules.compile_definition(definition).questions:
        if question.kind != QuestionKind.text or question.id in answers:
            continue
        condition = question.condition
        if condition is None or (condition.question in answers and condition.test(answers[condition.question])):
            return question.id, rules.localized_text(specs[question.id]["text"], locale, default_locale)
    return None


def base_url(public_url: str) -> str:
    return public_url.rstrip("/")


def survey_url(public_url: str, signer: TokenSigner, invitation: Invitation) -> str:
    """The hosted survey page of the invitation."""
    return f"{base_url(public_url)}/s/{invitations.token_for(signer, invitation)}"


def answer_url(survey_link: str, question_id: str, value: int) -> str:
    """A one-click answer: the hosted page records `value` for the question and shows the follow-up."""
    return f"{survey_link}?{quote(question_id, safe='')}={value}"


def unsubscribe_token(signer: TokenSigner, invitation: Invitation) -> str:
    return signer.sign(invitation.id, invitation.expires_at + UNSUBSCRIBE_GRACE, purpose=UNSUBSCRIBE_PURPOSE)


def customer_unsubscribe_token(signer: TokenSigner, customer_id: int, *, now: datetime) -> str:
    return signer.sign(customer_id, now + UNSUBSCRIBE_GRACE, purpose=CUSTOMER_UNSUBSCRIBE_PURPOSE)


def unsubscribe_link(public_url: str, token: str, *, purpose: str) -> str:
    """The unsubscribe page of an email, naming the purpose of what it sent (its page also offers every purpose)."""
    return f"{base_url(public_url)}/u/{token}?purpose={purpose}"


def unsubscribe_url(public_url: str, signer: TokenSigner, invitation: Invitation, *, purpose: str) -> str:
    """The unsubscribe page of an invitation's email."""
    return unsubscribe_link(public_url, unsubscribe_token(signer, invitation), purpose=purpose)
