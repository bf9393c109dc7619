from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from cxloop.core.clock import JsonDate, JsonDateTime
from cxloop.core.int_bounds import JsonId
from cxloop.text.themes import rules
from cxloop.text.themes.enums import ItemKind, RunStatus, ThemeKind

MAX_DISCOVERY_ITEMS = 500_000
DEFAULT_DISCOVERY_ITEMS = 200_000
MAX_SPLIT_GROUPS = 10

ThemeName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=rules.MAX_PHRASE_CHARS)]
Phrases = Annotated[list[Phrase], Field(min_length=1, max_length=rules.MAX_PHRASES)]


def _checked_phrases(value: list[str]) -> list[str]:
    errors = rules.phrase_errors(value)
    if errors:
        raise ValueError("; ".join(errors))
    return rules.normalise_phrases(value)


class ImpactRead(BaseModel):
    """NPS of commented responses with the theme minus without it (points), with a 95 % interval."""

    nps_with: float | None
    n_with: int
    nps_without: float | None
    n_without: int
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool
    small_sample: bool


class WeekCount(BaseModel):
    week: JsonDateTime
    count: int


class ThemeRead(BaseModel):
    """A theme of the list: what it is, how many items have it, its score impact and weekly trend."""

    id: int
    name: str
    kind: ThemeKind
    key_phrases: list[str]
    phrases: list[str]
    user_named: bool
    pinned: bool
    hidden: bool
    merged_into_id: int | None
    retired: bool
    volume: int
    primary_volume: int
    share: float | None  # of the analysed items, in percent
    impact: ImpactRead
    trend: list[WeekCount]
    sentiment: float | None  # mean sentiment score in [-1, 1] once comments carry one (text enrichment)


class ThemeItem(BaseModel):
    item_kind: ItemKind
    item_id: int
    text: str
    score: float
    at: JsonDateTime


class ThemeDetail(ThemeRead):
    examples: list[ThemeItem]


class ThemeUpdate(BaseModel):
    """Rename (the name stays through later discovery runs), pin (discovery keeps the theme as it is) or hide."""

    model_config = ConfigDict(extra="forbid")

    name: ThemeName | None = None
    pinned: bool | None = None
    hidden: bool | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude_none=True)


class RuleCreate(BaseModel):
    """A user-defined theme: items whose text holds any of the phrases (whole words, any case) get it."""

    model_config = ConfigDict(extra="forbid")

    name: ThemeName
    phrases: Phrases

    _phrases = field_validator("phrases")(_checked_phrases)


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme_ids: Annotated[list[JsonId], Field(min_length=1, max_length=100)]
    into: JsonId


class SplitRequest(BaseModel):
    """Each group of keywords becomes a new theme (a rule) taking the items of the theme whose text holds one."""

    model_config = ConfigDict(extra="forbid")

    groups: Annotated[list[Phrases], Field(min_length=1, max_length=MAX_SPLIT_GROUPS)]

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: list[list[str]]) -> list[list[str]]:
        return [_checked_phrases(g) for g in value]


class DiscoveryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=10, le=MAX_DISCOVERY_ITEMS, strict=True)] = DEFAULT_DISCOVERY_ITEMS
    embedder: Annotated[str, Field(pattern="^(auto|lsa|minilm)$")] = "lsa"


class RunRead(BaseModel):
    """A discovery run. `status` queued or running: `started_at` is when it was asked for or started, and the
    figures are 0 until the sample's themes are stored (the run then matches the older items: `details.rematch`
    holds what is left, `details.rematched` how many were matched); failed: `error` says why."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: RunStatus
    requested_limit: int | None
    error: str | None
    started_at: JsonDateTime
    finished_at: JsonDateTime | None
    embedder: str
    items: int
    themes_found: int
    kept: int
    created: int
    retired: int
    details: dict[str, Any]


class RunToDo(BaseModel):
    """The payload of the worker's discovery job: the id of a queued run."""

    run_id: int


class ThemeItemPage(BaseModel):
    items: list[ThemeItem]
    total: int


@dataclass(frozen=True, slots=True)
class ThemeDays:
    """One theme's mentions per UTC day: {day: (mentions, negative mentions)}."""

    theme_id: int
    name: str
    days: dict[JsonDate, tuple[int, int]]
