"""The hook told, inside the transaction, that a survey is about to be deleted.

Tables of higher domains that cascade from surveys keep derived counts (analytics' invitation rollups count the
survey's invitations); their owners register here so the deletion leaves nothing stale, without surveys importing
them.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from cxloop.core.hooks import Hook


class SurveyDeletionListener(Protocol):
    def __call__(self, session: Session, *, survey_id: int) -> None: ...


deleting: Hook[SurveyDeletionListener] = Hook("survey deletion", example={"survey_id": 1})
