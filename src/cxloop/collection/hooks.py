"""The hooks collection calls inside its write transactions, so that higher domains keep data derived from responses
and feedback current without collection importing them (analytics' score rollups register here, in cxloop.wiring).

Each carries typed rows (collection/rows.py). A response batch is validated ahead of its write transaction (in an
import's reader process, or outside the API's write lock): `responses_prepared` lets a function do its pure share of
the work then, keeping the result in `ahead[<its own key>]`, which `responses_stored` hands back with the rows whose
prepared view no longer holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.collection.rows import ScoredRow
from cxloop.collection.schemas import FeedbackRead, ResponseRead
from cxloop.core.hooks import Hook


class ResponsesPrepared(Protocol):
    def __call__(self, session: Session, *, rows: Sequence[ScoredRow], ahead: dict[str, Any]) -> None: ...


class ResponsesStored(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        rows: Callable[[], Sequence[ScoredRow]],
        retracted: Sequence[ScoredRow],
        restated: Sequence[ScoredRow],
        ahead: dict[str, Any],
    ) -> None: ...


class ScoresChanged(Protocol):
    def __call__(self, session: Session, *, removed: Sequence[ScoredRow], added: Sequence[ScoredRow]) -> None: ...


# The valid rows of a batch as validated (reads only; `session` may be a reader process's). Pure work only.
responses_prepared: Hook[ResponsesPrepared] = Hook("responses prepared", example={"rows": (), "ahead": {}})

# A batch was inserted. `rows()` gives every stored row as it now is (built on demand: large batches). The rows
# given to `responses_prepared` hold for the stored rows except `retracted` (not stored, or their touchpoint or
# stage changed while storing: linked customer's stage, place deleted meanwhile), whose stored rows are `restated`.
responses_stored: Hook[ResponsesStored] = Hook(
    "responses stored", example={"rows": list, "retracted": (), "restated": (), "ahead": {}}
)

# Feedback items stored (`added`), or a response's scores changed (`removed` before, `added` after).
scores_changed: Hook[ScoresChanged] = Hook("scores changed", example={"removed": (), "added": ()})


class TextsShown(Protocol):
    def __call__(
        self, session: Session, *, role: Role, responses: Sequence[ResponseRead], feedback: Sequence[FeedbackRead]
    ) -> None: ...


# Responses and feedback items are about to be shown to `role`: mask, in place, the free text it may not read as
# written (text analytics register here, in cxloop.wiring; collection sits below text).
texts_shown: Hook[TextsShown] = Hook("texts shown", example={"role": Role.viewer, "responses": (), "feedback": ()})


class TextsDropped(Protocol):
    def __call__(self, session: Session, *, responses: Sequence[int], feedback: Sequence[int]) -> None: ...


# These responses' comments and feedback items' texts are gone: the rows deleted, or anonymised by a retention
# policy (called before the change). Text analytics drop what they derived from them (analyses, themes, vectors).
texts_dropped: Hook[TextsDropped] = Hook("texts dropped", example={"responses": (), "feedback": ()})
