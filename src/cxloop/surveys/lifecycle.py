"""A survey's life cycle: draft -> scheduled -> live <-> paused -> closed (and reopened).

The stored status is what a person set; the *effective* status also follows the clock and the response count: a
scheduled survey is live from `opens_at`, and a live one is closed from `closes_at` or once it has
`max_responses`. Public channels (hosted page, widget, SMS, kiosk) and invitations ask `accepts_responses`; the
management API may still record responses to paused or closed surveys (imports of history). The response count
comes from the caller (invitations/availability.py), as surveys sit below the response store.
"""

from __future__ import annotations

from datetime import datetime

from cxloop.core.errors import FieldError
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.errors import SurveyConflict
from cxloop.surveys.models import Survey

# Which stored status a person may move a survey to from each status.
TRANSITIONS: dict[SurveyStatus, frozenset[SurveyStatus]] = {
    SurveyStatus.draft: frozenset({SurveyStatus.scheduled, SurveyStatus.live, SurveyStatus.closed}),
    SurveyStatus.scheduled: frozenset(
        {SurveyStatus.draft, SurveyStatus.live, SurveyStatus.paused, SurveyStatus.closed}
    ),
    SurveyStatus.live: frozenset({SurveyStatus.paused, SurveyStatus.closed}),
    SurveyStatus.paused: frozenset({SurveyStatus.live, SurveyStatus.closed}),
    SurveyStatus.closed: frozenset({SurveyStatus.live}),  # reopen
}


def check_transition(survey: Survey, target: SurveyStatus, *, opens_at: datetime | None) -> None:
    """SurveyConflict (409) naming the status field when a person may not move the survey to `target`."""
    current = SurveyStatus(survey.status)
    if target == current:
        return
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current]))
        raise SurveyConflict(
            f"survey '{survey.key}' cannot go from {current} to {target}",
            errors=[FieldError("status", f"from {current} the survey can go to: {allowed}")],
        )
    if target == SurveyStatus.scheduled and opens_at is None:
        raise SurveyConflict(
            f"survey '{survey.key}' needs opens_at to be scheduled",
            errors=[FieldError("opens_at", "is required for a scheduled survey")],
        )


def effective_status(survey: Survey, *, now: datetime, responses: int | None = None) -> SurveyStatus:
    """The status the clock and the response count give (`responses`: the survey's count, when it has a limit)."""
    status = SurveyStatus(survey.status)
    if status == SurveyStatus.scheduled and survey.opens_at is not None and now >= survey.opens_at:
        status = SurveyStatus.live
    if status == SurveyStatus.live:
        if survey.closes_at is not None and now >= survey.closes_at:
            return SurveyStatus.closed
        if survey.max_responses is not None and responses is not None and responses >= survey.max_responses:
            return SurveyStatus.closed
    return status
