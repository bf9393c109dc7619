"""Passive feedback: the always-available button (POST /widget/v1/feedback).

One form, sent once: a rating (the site's feedback survey's first score question), a comment (placed in the first
open question shown for that rating) and optionally an image. It is stored as a response to the feedback survey on
the site's channel, tied to the customer when the visitor was identified, and stored once per `submission` id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cxloop.channels.widget import questions
from cxloop.channels.widget.attachments import StoredImage
from cxloop.channels.widget.errors import NoFeedbackSurvey, PromptExpired
from cxloop.channels.widget.schemas import FeedbackPayload
from cxloop.channels.widget.service import SiteSnapshot
from cxloop.channels.widget.visitors import ensure_customer
from cxloop.collection import service as collection
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.invitations import answers as channel_answers
from cxloop.invitations import availability
from cxloop.surveys import rules


def record_feedback(session: Session, site: SiteSnapshot, body: FeedbackPayload, image: StoredImage | None) -> int:
    """Store the form as one response; its id. InvalidInput names each bad field, and nothing is stored then."""
    survey = site.feedback
    if survey is None:
        raise NoFeedbackSurvey("this site has no feedback survey; set feedback_survey on the site")
    if not availability.accepts_responses(session, survey.survey, now=utcnow()):
        raise PromptExpired("the feedback survey is closed; nothing was stored")
    compiled = rules.compile_definition(survey.definition)
    answers: dict[str, Any] = {}
    errors: list[FieldError] = []
    if body.score is not None:
        score = questions.score_question(survey.definition, None, survey.survey.default_locale)
        if score is None:
            errors.append(FieldError("score", "the feedback survey has no rating question"))
        else:
            answers[score.id] = body.score
    scored = compiled.score(answers, comment=body.comment, partial=True)
    errors.extend(_renamed(error, answers) for error in scored.errors)
    if not errors and not scored.answers and image is None:
        errors.append(FieldError("score", "give a rating, a comment or an image"))
    if errors:
        raise InvalidInput("the feedback is not valid; nothing was stored", errors=errors)
    complete = not compiled.score(scored.answers).errors
    customer_id = ensure_customer(session, body.customer).id if body.customer else None
    metadata: dict[str, Any] = {"widget_site": site.key, "source": "feedback_button"}
    if body.url:
        metadata["url"] = body.url
    if image is not None:
        metadata["attachments"] = [image.metadata()]
    return channel_answers.record_anonymous(
        session,
        survey.survey,
        scored.answers,
        channel=site.channel,
        complete=complete,
        customer_id=customer_id,
        metadata=metadata,
        key=f"widget-feedback:{site.id}:{body.submission}",
    )


def _renamed(error: FieldError, answers: dict[str, Any]) -> FieldError:
    """Name the form's fields (score, comment) rather than the survey's question ids."""
    if error.field.startswith("answers.") and error.field.removeprefix("answers.") in answers:
        return FieldError("score", error.message)
    return error


def attachment_of(session: Session, response_id: int) -> str | None:
    """The file the stored response references (a resend's own upload is then not the one kept)."""
    attached = collection.require_response(session, response_id=response_id).metadata.get("attachments") or []
    return str(attached[0]["file"]) if attached else None
