"""The hook told, inside the transaction, that touchpoints are about to be deleted.

Higher domains whose rows point at touchpoints with a foreign key that clears itself (invitations) keep counts by
touchpoint (analytics' invitation rollups); their owners register here and clear the reference themselves, counted,
without journeys importing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from cxloop.core.hooks import Hook


class TouchpointDeletionListener(Protocol):
    def __call__(self, session: Session, *, touchpoint_ids: Sequence[int]) -> None: ...


touchpoints_deleting: Hook[TouchpointDeletionListener] = Hook("touchpoint deletion", example={"touchpoint_ids": ()})
