"""Answers arriving through a channel: the invitation's one response, stored at the first answer and extended after.

A score given on screen 1 (or by a click in an email, or an SMS reply) is stored at once as a partial response, so
a customer who never gives the comment still counts; later answers extend that same response. Every channel uses
the invitation's idempotency key, so the score clicked twice, or given in the email and again on the page, is one
response.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from cxloop.collection import service as collection
from cxloop.collection.amend import amend_response
from cxloop.collection.schemas import ResponseCreate
from cxloop.customers import service as customers
from cxloop.invitations import service as invitations
from cxloop.invitations.models import Invitation
from cxloop.journeys import service as journeys
from cxloop.surveys import service as surveys

if TYPE_CHECKING:
    from cxloop.surveys.models import Survey

__all__ = ["amend_response", "record_anonymous", "record_answers"]


def _create(
    session: Session,
    survey: Survey,
    answers: Mapping[str, Any],
    *,
    channel: str,
    complete: bool,
    customer_id: int | None,
    touchpoint_id: int | None = None,
    locale: str | None = None,
    metadata: dict[str, Any] | None = None,
    key: str | None = None,
) -> tuple[int, bool]:
    """Store a new response; (its id, whether it is new) - not new when its key was stored already."""
    customer = customers.get_customer(session, customer_id=customer_id) if customer_id else None
    external_id = customer.external_id if customer else None
    touchpoint = (
        journeys.touchpoint_keys(session, touchpoint_ids=[touchpoint_id]).get(touchpoint_id) if touchpoint_id else None
    )
    item = ResponseCreate.model_validate(
        {
            "survey": survey.key,
            "customer_external_id": external_id,
            "channel": channel,
            "touchpoint": touchpoint,
            "answers": dict(answers),
            "locale": locale,
            "metadata": metadata or {},
            "is_partial": not complete,
        }
    )
    result = collection.record_responses(session, items=[item], idempotency_keys=[key])
    return result.ids[0], result.created == 1


def record_answers(
    session: Session,
    invitation: Invitation,
    answers: Mapping[str, Any],
    *,
    channel: str,
    complete: bool,
    metadata: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Store or extend the invitation's response and mark the invitation answered; the response id.

    Raises InvalidResponses (422, each bad answer named) and changes nothing when an answer is not valid."""
    response_id, created = invitation.response_id, False
    if response_id is None:
        survey = surveys.require_survey(session, survey_id=invitation.survey_id)
        response_id, created = _create(
            session,
            survey,
            answers,
            channel=channel,
            complete=complete,
            customer_id=invitation.customer_id,
            touchpoint_id=invitation.touchpoint_id,
            locale=invitation.locale,
            metadata=metadata,
            key=invitations.idempotency_key(invitation),
        )
    if not created:
        # Stored before (or by a concurrent request under the same key): extend it, so no answer is lost.
        amend_response(session, response_id, answers, complete=complete)
    invitations.mark_answered(invitation, response_id=response_id, now=now)
    session.flush()
    return response_id


def record_anonymous(
    session: Session,
    survey: Survey,
    answers: Mapping[str, Any],
    *,
    channel: str,
    complete: bool,
    customer_id: int | None = None,
    metadata: dict[str, Any] | None = None,
    key: str | None = None,
) -> int:
    """Store a response that no invitation asked for (anonymous link, kiosk, widget); its id, to `amend_response`
    later. `key`: an idempotency key, so a resubmitted form is stored once."""
    response_id, created = _create(
        session,
        survey,
        answers,
        channel=channel,
        complete=complete,
        customer_id=customer_id,
        metadata=metadata,
        key=key,
    )
    if not created:
        amend_response(session, response_id, answers, complete=complete)
    return response_id
