"""A batch of responses between its two halves: validated (reads only) and stored (one write transaction).

`Prepared` carries the valid rows, the outcome so far and what hooks worked out ahead (collection/hooks.py); a file
import makes it in a reader process and hands it over (cli/read_ahead.py), so it pickles compactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxloop.collection.rows import ResponseRow, ScoredRow
from cxloop.core.errors import FieldError


@dataclass
class Outcome:
    """What happened to each item of a batch. `ids[i]` is None for a rejected item."""

    ids: list[int | None]
    created: int = 0
    duplicates: int = 0
    errors: dict[int, list[FieldError]] = field(default_factory=dict)
    # Items whose only problem is a survey key that does not exist (the API answers 404 when no other problem exists).
    unknown_survey: set[int] = field(default_factory=set)


@dataclass(slots=True)
class ValidRow:
    index: int
    row: ResponseRow  # customer_id filled in when the customer is looked up
    customer: str | None
    seconds: int  # submitted_at in whole seconds since 1970
    customer_stage: bool = False  # row's stage_id is the customer's (no touchpoint gave one)
    # The row as `hooks.responses_prepared` saw it, kept when storing changes its touchpoint or stage.
    before: ScoredRow | None = None

    def view(self) -> ScoredRow:
        """The row as the hooks see it."""
        r = self.row
        values = (
            self.seconds,
            r.customer_id,
            r.survey_id,
            r.channel,
            r.touchpoint_id,
            r.stage_id,
            r.nps,
            r.csat,
            r.ces,
        )
        return tuple.__new__(ScoredRow, values)  # per row of every batch: the NamedTuple constructor costs 5x

    def restate(self, row: ResponseRow) -> None:
        """Replace the row, keeping its prepared view when its touchpoint or stage changes."""
        old = self.row
        if self.before is None and (row.touchpoint_id != old.touchpoint_id or row.stage_id != old.stage_id):
            self.before = self.view()
        self.row = row


@dataclass
class Prepared:
    """A batch validated by the read-only half of the work, ready for `store_responses` (a file import prepares the
    next batch in another process while the current one is stored)."""

    outcome: Outcome
    valid: list[ValidRow]
    looked_up: bool = False  # stored keys were looked up before validating
    error_keys: dict[int, str] = field(default_factory=dict)  # idempotency keys of the rejected items
    # What `hooks.responses_prepared` functions worked out ahead, each under its own key.
    ahead: dict[str, Any] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        # Crosses a process boundary per import batch: the rows as plain tuples pickle several times faster.
        state = {name: getattr(self, name) for name in ("outcome", "looked_up", "error_keys", "ahead")}
        state["valid"] = [(v.index, tuple(v.row), v.customer, v.seconds, v.customer_stage) for v in self.valid]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        new = tuple.__new__
        self.valid = [ValidRow(i, new(ResponseRow, row), *rest) for i, row, *rest in state["valid"]]
