"""Extending a stored response: the follow-up screens of a hosted page, an SMS comment after the score.

The answers are merged into the stored ones and validated again against the version the response answered, so
conditional follow-ups stay consistent with the score. When a score changes, the `scores_changed` hook hears the old
scores and the new ones in the same transaction (the rollups move them), so metrics equal a full recount at every
commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from cxloop.collection import hooks
from cxloop.collection.errors import InvalidResponses, ResponseNotFound
from cxloop.collection.models import Response
from cxloop.collection.rows import ScoredRow, epoch_seconds
from cxloop.surveys import rules
from cxloop.surveys import service as surveys


def _scored(response: Response) -> ScoredRow:
    return ScoredRow(
        seconds=epoch_seconds(response.submitted_at),
        customer_id=response.customer_id,
        survey_id=response.survey_id,
        channel=response.channel,
        touchpoint_id=response.touchpoint_id,
        stage_id=response.stage_id,
        nps=response.nps,
        csat=response.csat,
        ces=response.ces,
    )


def amend_response(session: Session, response_id: int, answers: Mapping[str, Any], *, complete: bool) -> int:
    """Add (or change) answers of a stored response; `complete` marks it no longer partial (it never goes back).

    Raises ResponseNotFound, or InvalidResponses naming each bad answer (nothing changes then)."""
    response = session.get(Response, response_id, with_for_update=True)
    if response is None:
        raise ResponseNotFound(f"no response with id {response_id}")
    version = surveys.get_version(session, version_id=response.survey_version_id)
    if version is None:  # its survey was deleted, and the response with it, since this request began
        raise ResponseNotFound(f"no response with id {response_id}")
    merged = {**response.answers, **answers}
    partial = response.is_partial and not complete
    scored = rules.compile_definition(version.definition).score(merged, partial=partial)
    if scored.errors:
        raise InvalidResponses("the answers are not valid; nothing was changed", errors=list(scored.errors))
    before = _scored(response)
    changed_scores = (scored.nps, scored.csat, scored.ces) != (response.nps, response.csat, response.ces)
    response.answers = scored.answers
    response.nps, response.csat, response.ces = scored.nps, scored.csat, scored.ces
    response.comment = scored.comment
    response.is_partial = partial
    session.flush()
    if changed_scores:
        hooks.scores_changed(session, removed=[before], added=[_scored(response)])
    return response.id
