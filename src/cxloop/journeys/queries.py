"""Read-side SQL over the journeys' tables, for other domains' queries (the customers' segment language)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Exists, exists, literal, select

from cxloop.journeys.models import Stage

STAGE_KEY: ColumnElement[str] = Stage.key.expression


def stage_where(stage_id: Any, condition: ColumnElement[bool]) -> Exists:
    """EXISTS a stage with the id `stage_id` (a column or expression) for which `condition` (over `STAGE_KEY`) holds."""
    return exists(select(literal(1)).where(Stage.id == stage_id, condition))
