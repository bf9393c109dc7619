"""Compose comments that read like customers wrote them, about what actually happened to them."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cxloop.demo.phrases import (
    CLOSINGS,
    FRAGMENTS,
    MIXED_JOINERS,
    NOTHING_TO_SAY,
    OPENINGS,
    THEME_PATTERNS,
)

Tone = Literal["neg", "pos", "wish"]
Mood = Literal["neg", "mixed", "pos"]

_FORMATTER = string.Formatter()
_NUMBER_WORDS = {1: "once", 2: "twice", 3: "three times", 4: "four times"}
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True, slots=True)
class Cue:
    """One thing to say: a theme, in a tone, optionally about a facet (`late`, `transfer`) with its details."""

    theme: str
    tone: Tone
    facet: str | None = None
    slots: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Comment:
    """A composed comment and the themes it speaks about (empty for "n/a"-style replies)."""

    text: str
    themes: tuple[str, ...]


def human_wait(minutes: float) -> str:
    """'40 minutes', 'over 3 hours', 'two days', as a customer would put it."""
    if minutes < 55:
        return f"{max(5, round(minutes / 5) * 5)} minutes"
    hours = minutes / 60
    if hours < 1.5:
        return "over an hour"
    if hours < 20:
        return f"{'over ' if hours % 1 > 0.3 else ''}{int(hours)} hours"
    days = round(hours / 24)
    return "a full day" if days <= 1 else f"{_COUNT_WORDS.get(days, str(days))} days"


def times(count: int) -> str:
    """'twice', 'three times'."""
    return _NUMBER_WORDS.get(count, f"{count} times")


def days_word(count: int) -> str:
    """'a day', 'two days'."""
    return "a day" if count == 1 else f"{count_word(count)} days"


def count_word(count: int) -> str:
    return _COUNT_WORDS.get(count, str(count))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def _pick(rng: random.Random, bank: Sequence[str], slots: Mapping[str, str]) -> str | None:
    usable = [t for t in bank if _fields(t) <= slots.keys()]
    if not usable:
        return None
    return rng.choice(usable).format(**slots)


def _sentence(rng: random.Random, cue: Cue, *, brief: bool) -> str | None:
    banks = FRAGMENTS.get(cue.theme, {})
    tone = "neg" if cue.tone == "wish" and "wish" not in banks else cue.tone
    names = []
    if brief:
        names.append(f"brief_{tone}")
    if cue.facet:
        names.append(f"{tone}_{cue.facet}")
    names.append(tone)
    if not brief:
        names.append(f"brief_{tone}")
    for name in names:
        text = _pick(rng, banks.get(name, ()), cue.slots)
        if text is not None:
            return text
    return None


def _finish(text: str) -> str:
    text = text.strip()
    if text and text[-1] not in ".!?":
        text += "."
    return text[0].upper() + text[1:] if text else text


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text


Length = Literal["brief", "medium", "long"]


def compose(rng: random.Random, cues: Sequence[Cue], *, mood: Mood, length: Length | None = None) -> Comment:
    """A comment about `cues` (first is the main point) in the overall `mood`; typos and quirks included."""
    if not cues:
        return Comment(rng.choice(NOTHING_TO_SAY), ())
    if length is None:
        length = rng.choices(("brief", "medium", "long"), weights=(22, 50, 28))[0]
    if length == "brief":
        text = _sentence(rng, cues[0], brief=True)
        used = [cues[0].theme] if text else []
        if text and len(cues) > 1 and rng.random() < 0.35:
            second = _sentence(rng, cues[1], brief=True)
            if second:
                text = f"{text}, {_lower_first(second)}"
                used.append(cues[1].theme)
        return _styled(rng, text or rng.choice(NOTHING_TO_SAY), tuple(used))
    wanted = cues[: 2 if length == "medium" else 3]
    sentences: list[str] = []
    used = []
    for cue in wanted:
        sentence = _sentence(rng, cue, brief=False)
        if sentence and sentence not in sentences:
            sentences.append(sentence)
            used.append(cue.theme)
    if not sentences:
        return Comment(rng.choice(NOTHING_TO_SAY), ())
    if mood == "mixed" and len(sentences) >= 2 and rng.random() < 0.6:
        body = sentences[0].rstrip(".!") + rng.choice(MIXED_JOINERS) + _lower_first(sentences[1])
        body = " ".join([_finish(body), *(_finish(s) for s in sentences[2:])])
    else:
        body = " ".join(_finish(s) for s in sentences)
    opening_chance, closing_chance = (0.55, 0.45) if length == "long" else (0.3, 0.12)
    if rng.random() < opening_chance:
        opening = rng.choice(OPENINGS[mood])
        body = f"{opening} {_lower_first(body) if opening[-1] not in '.!?' else body}"
    if rng.random() < closing_chance:
        body = f"{body} {rng.choice(CLOSINGS[mood])}"
    return _styled(rng, body, tuple(used))


_WORD = re.compile(r"[A-Za-z]{5,}")


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swapped letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # a dropped letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # a doubled letter


def _styled(rng: random.Random, text: str, themes: tuple[str, ...]) -> Comment:
    """Writers' habits: lowercase, no final full stop, the odd typo (never in names or the words carrying a theme)."""
    if rng.random() < 0.1:
        protected = [m.span() for p in THEME_PATTERNS.values() for m in p.finditer(text)]
        words = [
            m
            for m in _WORD.finditer(text)
            if m.group()[0].islower() and not any(m.start() < end and start < m.end() for start, end in protected)
        ]
        if words:
            match = rng.choice(words)
            text = text[: match.start()] + _typo(rng, match.group()) + text[match.end() :]
    if rng.random() < 0.1:
        text = text.lower()
    if rng.random() < 0.12:
        text = text.rstrip(".")
    elif text.endswith("!") and rng.random() < 0.2:
        text += "!"
    return Comment(text, tuple(dict.fromkeys(themes)))


def comment_mood(score: int, *, low: int, high: int) -> Mood:
    """neg at or below `low`, pos at or above `high`, mixed between."""
    if score <= low:
        return "neg"
    if score >= high:
        return "pos"
    return "mixed"
