"""A batch of responses between its two halves: validated (reads only) and stored (one write transaction).

`Prepared` carries the valid rows, the outcome so far and the rollup increments counted ahead; a file import makes
it in a reader process and hands it over (cli/read_ahead.py), so it pickles compactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cxloop.collection import rollups
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
    seconds: int  # submitted_at in whole seconds since 1970, for the rollups
    customer_stage: bool = False  # row's stage_id is the customer's (no touchpoint gave one)
    staged: bool = False  # the row's stage is counted in Prepared.precounted

    @property
    def stage_final(self) -> bool:
        """Linking the customer cannot change the row's stage: no customer, linked already, or a touchpoint's."""
        row = self.row
        return self.customer is None or row.customer_id is not None or row.stage_id is not None


@dataclass
class Prepared:
    """A batch validated by the read-only half of the work, ready for `store` (a file import prepares the next batch
    in another process while the current one is stored)."""

    outcome: Outcome
    valid: list[ValidRow]
    looked_up: bool = False  # stored keys were looked up before validating
    error_keys: dict[int, str] = field(default_factory=dict)  # idempotency keys of the rejected items
    # The valid rows' rollup increments in the dimensions known before customers are linked (rollups.count_rows).
    precounted: Counter[Any] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if self.valid and not self.precounted:
            for v in self.valid:  # a row's stage is counted now when linking its customer cannot change it
                v.staged = v.stage_final
            # In key order, which the rollup upsert wants: sorting again in `store` finds one run and is cheap.
            self.precounted = Counter(dict(sorted(precount(self.valid).items())))

    def __getstate__(self) -> dict[str, Any]:
        # Crosses a process boundary per import batch: the rows as plain tuples pickle several times faster.
        state = {name: getattr(self, name) for name in ("outcome", "looked_up", "error_keys", "precounted")}
        state["valid"] = [
            (v.index, tuple(v.row), v.customer, v.seconds, v.customer_stage, v.staged) for v in self.valid
        ]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        make = ResponseRow._make
        self.valid = [ValidRow(i, make(row), *rest) for i, row, *rest in state["valid"]]


def precount(valid: Sequence[ValidRow]) -> Counter[Any]:
    """The rows' rollup increments that do not wait for their customer: every dimension but segment, the stage of
    the rows marked `staged` only."""
    uncounted = rollups.UNCOUNTED
    rows = [
        ScoredRow(
            v.seconds,
            None,
            (r := v.row).survey_id,
            r.channel,
            r.touchpoint_id,
            r.stage_id if v.staged else uncounted,
            r.nps,
            r.csat,
            r.ces,
        )
        for v in valid
    ]
    return rollups.count_rows(rows, dimensions=rollups.CUSTOMER_FREE | rollups.STAGE)


def scored_rows(valid: Sequence[ValidRow]) -> list[ScoredRow]:
    """The rows as the rollups see them."""
    return [
        ScoredRow(
            v.seconds,
            (r := v.row).customer_id,
            r.survey_id,
            r.channel,
            r.touchpoint_id,
            r.stage_id,
            r.nps,
            r.csat,
            r.ces,
        )
        for v in valid
    ]
