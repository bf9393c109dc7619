"""The hook told, inside the transaction, that customers are about to be deleted.

Higher domains keep derived data about customers (analytics' score rollups count their feedback); they register
here so a deletion leaves nothing stale, without customers importing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from cxloop.core.hooks import Hook


class DeletionListener(Protocol):
    def __call__(self, session: Session, *, customer_ids: Sequence[int]) -> None: ...


deleting: Hook[DeletionListener] = Hook("customer deletion", example={"customer_ids": ()})
