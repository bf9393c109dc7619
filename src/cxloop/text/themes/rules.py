"""The pure parts of themes: keyword/phrase rules, the primary theme of an item, score impact with its interval, and
weekly trends. No database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from cxloop.text.themes.enums import ThemeKind

MAX_PHRASES = 50
MAX_PHRASE_CHARS = 100
SMALL_SAMPLE = 30  # an impact measured on fewer comments with the theme is flagged


def normalise_phrases(phrases: Iterable[str]) -> list[str]:
    """Lower-cased, spaces collapsed, empties and repeats dropped, first-seen order kept."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        cleaned = " ".join(phrase.lower().split())
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def phrase_errors(phrases: Sequence[str]) -> list[str]:
    """Why these phrases cannot make a rule (empty list: they can)."""
    cleaned = normalise_phrases(phrases)
    if not cleaned:
        return ["give at least one keyword or phrase with a letter or digit in it"]
    errors = []
    if len(cleaned) > MAX_PHRASES:
        errors.append(f"at most {MAX_PHRASES} phrases, got {len(cleaned)}")
    long = [p for p in cleaned if len(p) > MAX_PHRASE_CHARS]
    if long:
        errors.append(f"a phrase has at most {MAX_PHRASE_CHARS} characters: {long[0][:40]!r}...")
    if not any(re.search(r"\w", p) for p in cleaned):
        errors.append("a phrase needs a letter or digit")
    return errors


def compile_rule(phrases: Sequence[str]) -> re.Pattern[str]:
    """One pattern for a rule: any of its phrases as whole words, case-insensitive, any spacing between words."""
    parts = [r"\s+".join(re.escape(w) for w in p.split()) for p in normalise_phrases(phrases)]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    theme_id: int
    pattern: re.Pattern[str]

    def matches(self, text: str) -> bool:
        return self.pattern.search(text) is not None


def rule_matches(text: str, rules: Sequence[Rule]) -> list[int]:
    return [r.theme_id for r in rules if r.matches(text)]


@dataclass(frozen=True)
class Candidate:
    """A theme an item was assigned to, as the choice of its primary theme sees it."""

    theme_id: int
    kind: ThemeKind
    score: float
    hidden: bool = False


def primary_of(candidates: Sequence[Candidate]) -> int | None:
    """The item's primary theme: a visible theme before a hidden one, a user's rule before a discovered theme, then
    the higher score, then the older theme (lower id)."""
    if not candidates:
        return None
    best = min(candidates, key=lambda c: (c.hidden, c.kind != ThemeKind.rule, -c.score, c.theme_id))
    return best.theme_id


class NpsDifference(Protocol):
    """What analytics.stats.nps_difference gives; text sits below analytics, so cxloop.wiring hands it in."""

    @property
    def value(self) -> float | None: ...
    @property
    def ci_low(self) -> float | None: ...
    @property
    def ci_high(self) -> float | None: ...
    @property
    def significant(self) -> bool: ...
    @property
    def first(self) -> Any: ...
    @property
    def second(self) -> Any: ...


Compare = Callable[[Mapping[int, int], Mapping[int, int]], NpsDifference]
_compare: list[Compare] = []


def use_nps_difference(compare: Compare) -> None:
    """Called once by cxloop.wiring with analytics.stats.nps_difference (the one place NPS statistics live)."""
    _compare[:] = [compare]


def nps_difference(with_theme: Mapping[int, int], without_theme: Mapping[int, int]) -> NpsDifference:
    """NPS with the theme minus without it, from two histograms (score -> count), with its 95 % interval."""
    if not _compare:
        raise RuntimeError("themes need cxloop.wiring.wire_domains() before they report score impact")
    return _compare[0](with_theme, without_theme)


def week_start(at: datetime) -> datetime:
    """Monday 00:00 UTC of the week of `at`."""
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def weekly(instants: Iterable[datetime], *, weeks: int, now: datetime) -> list[tuple[datetime, int]]:
    """Counts per week for the last `weeks` weeks (oldest first, the current week last, empty weeks as 0)."""
    current = week_start(now)
    starts = [current - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    counts = dict.fromkeys(starts, 0)
    for at in instants:
        start = week_start(at)
        if start in counts:
            counts[start] += 1
    return list(counts.items())
