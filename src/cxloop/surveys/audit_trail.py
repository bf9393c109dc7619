"""What the audit log keeps of a survey change, shared by the API and the web app so both record the same entry.

The trail shows a survey's settings and version; the definition itself is kept by its versions. A change of status
to live is a publication, to closed a closing; every other change is an update.
"""

from __future__ import annotations

from cxloop.audit.enums import AuditAction
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.schemas import SurveyRead

_STATUS_ACTIONS = {SurveyStatus.live: AuditAction.survey_published, SurveyStatus.closed: AuditAction.survey_closed}


def snapshot(survey: SurveyRead) -> dict[str, object]:
    """The fields an audit entry records (before or after a change)."""
    return survey.model_dump(exclude={"definition", "created_at", "updated_at"})


def update_action(before: dict[str, object], after: SurveyRead) -> AuditAction:
    """The action an update is recorded as: published or closed when the status moved there, updated otherwise."""
    if after.status == before["status"]:
        return AuditAction.survey_updated
    return _STATUS_ACTIONS.get(after.status, AuditAction.survey_updated)
