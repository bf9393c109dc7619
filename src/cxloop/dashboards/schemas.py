from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator

from cxloop.analytics.enums import MetricKind
from cxloop.collection.enums import Channel
from cxloop.core.clock import JsonDateTime
from cxloop.core.int_bounds import JsonId
from cxloop.dashboards.enums import CARD_FILTERS, RANGES, CardKindName

NAME_LENGTH = 120
MAX_CARDS = 24  # a dashboard longer than this is two dashboards
FILTER_LENGTH = 120


class CardRead(BaseModel):
    """A card as the web app draws it: its kind, title and filters (filter bar parameters), in `position` order."""

    id: int
    position: int
    kind: str
    title: str
    filters: dict[str, str]


class DashboardRead(BaseModel):
    """A dashboard with its cards, first card first."""

    id: int
    team_id: int
    name: str
    created_at: JsonDateTime
    updated_at: JsonDateTime
    cards: list[CardRead]


class FilterProblem(ValueError):
    """A card filter that cannot be used: the parameter and why (a ValueError, so pydantic reports it as a 422)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def check_card_filters(filters: dict[str, str]) -> dict[str, str]:
    """The filters of a card, blanks dropped; FilterProblem naming the first parameter that cannot be used."""
    kept = {key: value.strip() for key, value in filters.items() if value and value.strip()}
    for key, value in kept.items():
        if key not in CARD_FILTERS:
            raise FilterProblem(key[:40], f"not a filter: use {', '.join(CARD_FILTERS)}")
        if len(value) > FILTER_LENGTH:
            raise FilterProblem(key, f"at most {FILTER_LENGTH} characters")
    _check_value(kept, "range", RANGES)
    _check_value(kept, "channel", tuple(Channel))
    _check_value(kept, "metric", tuple(MetricKind))
    for key in ("start", "end"):
        if key in kept:
            try:
                date.fromisoformat(kept[key])
            except ValueError:
                raise FilterProblem(key, f"'{kept[key][:40]}' is not a date like 2026-03-01") from None
    if kept.get("range") == "custom" and not {"start", "end"} <= kept.keys():
        raise FilterProblem("range", "a custom range needs a start and an end")
    if {"start", "end"} <= kept.keys() and kept["end"] < kept["start"]:
        raise FilterProblem("end", "the end is before the start")
    return kept


def _check_value(filters: dict[str, str], key: str, allowed: tuple[str, ...]) -> None:
    if key in filters and filters[key] not in allowed:
        raise FilterProblem(key, f"'{filters[key][:40]}' is not one of: {', '.join(allowed)}")


class CardWrite(BaseModel):
    """A card as a client sends it: `id` keeps an existing card of this dashboard (without one, a new card)."""

    id: JsonId | None = None
    kind: CardKindName
    title: str = Field(min_length=1, max_length=NAME_LENGTH)
    filters: dict[str, str] = Field(default_factory=dict, max_length=len(CARD_FILTERS))

    _filters = field_validator("filters")(check_card_filters)


class DashboardCreate(BaseModel):
    """A new dashboard of a team, with its cards in order (none to start empty)."""

    team_id: JsonId
    name: str = Field(min_length=1, max_length=NAME_LENGTH)
    cards: list[CardWrite] = Field(default_factory=list, max_length=MAX_CARDS)


class DashboardUpdate(BaseModel):
    """What changes: the fields sent. `cards` replaces the whole list, in order; a card sent with its `id` keeps it."""

    team_id: JsonId | None = None
    name: str | None = Field(default=None, min_length=1, max_length=NAME_LENGTH)
    cards: list[CardWrite] | None = Field(default=None, max_length=MAX_CARDS)
