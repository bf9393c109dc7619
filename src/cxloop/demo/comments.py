"""Compose comments that read like customers wrote them, about what actually happened to them."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal

from cxloop.demo import phrases, phrases_de, phrases_es

Tone = Literal["neg", "pos", "wish"]
Mood = Literal["neg", "mixed", "pos"]

_FORMATTER = string.Formatter()
_NUMBER_WORDS = {1: "once", 2: "twice", 3: "three times", 4: "four times"}
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True, slots=True)
class Phrasebook:
    """The parts comments are composed from in one language: an opening, the aspects (theme fragments), a detail
    about the writer, a closing; plus the replies that say nothing."""

    fragments: Mapping[str, Mapping[str, tuple[str, ...]]]
    patterns: Mapping[str, re.Pattern[str]]  # what each theme's words look like (typos never touch them)
    openings: Mapping[str, tuple[str, ...]]
    closings: Mapping[str, tuple[str, ...]]
    joiners: tuple[str, ...]
    nothing: tuple[str, ...]
    details: tuple[str, ...]


def _book(module: ModuleType) -> Phrasebook:
    return Phrasebook(
        module.FRAGMENTS,
        module.THEME_PATTERNS,
        module.OPENINGS,
        module.CLOSINGS,
        module.MIXED_JOINERS,
        module.NOTHING_TO_SAY,
        module.DETAILS,
    )


# The languages the surveys ship (channels/locale and the survey templates); other customers answer in English.
PHRASEBOOKS = {"en": _book(phrases), "de": _book(phrases_de), "es": _book(phrases_es)}


def survey_language(locale: str) -> str:
    """The language a customer with `locale` answers in: theirs when the surveys ship it, else English."""
    language = locale.split("-")[0].lower()
    return language if language in PHRASEBOOKS else "en"


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
    typos: int = 0


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


def _sentence(rng: random.Random, book: Phrasebook, cue: Cue, *, brief: bool) -> str | None:
    banks = book.fragments.get(cue.theme, {})
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
    if text and text[-1] not in ".!?)":
        text += "."
    return text[0].upper() + text[1:] if text else text


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text


def _detail(rng: random.Random, book: Phrasebook) -> str:
    """Something about the writer ("We order for 4 sites."), with its numbers."""
    numbers = {
        "sites": str(rng.randint(2, 14)),
        "team": str(rng.choice((rng.randint(3, 40), rng.randint(40, 400)))),
        "years": str(rng.randint(2, 9)),
        "count": str(rng.randint(3, 7)),
        "order": f"O-{rng.randint(10000, 99999)}",
    }
    return rng.choice(book.details).format(**numbers)


_BRIEF_ENDS = {
    "pos": ("!", "!!", " :)", " 👍", "!!!", " 🙂", " - thanks"),
    "mixed": ("", " I guess", "...", " :/"),
    "neg": ("!", "!!", "...", " 😡", " :("),
}


def _dressed(rng: random.Random, text: str, mood: Mood) -> str:
    """A few words as people type them: capitalised or not, with an exclamation mark or an emoji, or bare."""
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    if rng.random() < 0.6:
        text += rng.choice(_BRIEF_ENDS[mood])
    return text


Length = Literal["brief", "medium", "long"]


def compose(
    rng: random.Random, cues: Sequence[Cue], *, mood: Mood, length: Length | None = None, language: str = "en"
) -> Comment:
    """A comment in `language` about `cues` (first is the main point) in the overall `mood`: an opening, the
    aspects, a detail about the writer and a closing, each there or not; typos and quirks included."""
    book = PHRASEBOOKS[language]
    if not cues:
        return Comment(rng.choice(book.nothing), ())
    if length is None:
        length = rng.choices(("brief", "medium", "long"), weights=(18, 52, 30))[0]
    if length == "brief":
        text = _sentence(rng, book, cues[0], brief=True)
        used = [cues[0].theme] if text else []
        if text and len(cues) > 1 and rng.random() < 0.4:
            second = _sentence(rng, book, cues[1], brief=True)
            if second:
                text = f"{text}, {_lower_first(second)}"
                used.append(cues[1].theme)
        if text and rng.random() < 0.3:
            text = f"{text}. {_detail(rng, book)}"
        elif text:
            text = _dressed(rng, text, mood)
        return _styled(rng, book, text or rng.choice(book.nothing), tuple(used))
    wanted = cues[: 2 if length == "medium" else 3]
    sentences: list[str] = []
    used = []
    for cue in wanted:
        sentence = _sentence(rng, book, cue, brief=False)
        if sentence and sentence not in sentences:
            sentences.append(sentence)
            used.append(cue.theme)
    if not sentences:
        return Comment(rng.choice(book.nothing), ())
    if mood == "mixed" and len(sentences) >= 2 and rng.random() < 0.6:
        body = sentences[0].rstrip(".!") + rng.choice(book.joiners) + _lower_first(sentences[1])
        body = " ".join([_finish(body), *(_finish(s) for s in sentences[2:])])
    else:
        body = " ".join(_finish(s) for s in sentences)
    opening_chance, detail_chance, closing_chance = (0.55, 0.45, 0.45) if length == "long" else (0.3, 0.3, 0.15)
    if rng.random() < opening_chance:
        opening = rng.choice(book.openings[mood])
        body = f"{opening} {_lower_first(body) if opening[-1] not in '.!?' else body}"
    if rng.random() < detail_chance:
        detail = _detail(rng, book)
        body = f"{detail} {body}" if rng.random() < 0.3 else f"{body} {detail}"
    if rng.random() < closing_chance:
        body = f"{body} {rng.choice(book.closings[mood])}"
    return _styled(rng, book, body, tuple(used))


_WORD = re.compile(r"[^\W\d_]{5,}")
TYPO_RATE = 0.03  # typos per word of five letters or more (informal writing on a phone or in a hurry)


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swapped letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # a dropped letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # a doubled letter


def _styled(rng: random.Random, book: Phrasebook, text: str, themes: tuple[str, ...]) -> Comment:
    """Writers' habits: lowercase, no final full stop, typos (never in names or the words carrying a theme)."""
    protected = [m.span() for p in book.patterns.values() for m in p.finditer(text)]
    words = [
        m
        for m in _WORD.finditer(text)
        if m.group()[0].islower() and not any(m.start() < end and start < m.end() for start, end in protected)
    ]
    typos = 0
    for match in reversed(words):  # from the end, so earlier spans stay valid
        if rng.random() < TYPO_RATE * 2.5:  # about 40 % of words are long enough and not theme words
            text = text[: match.start()] + _typo(rng, match.group()) + text[match.end() :]
            typos += 1
    if rng.random() < 0.1:
        text = text.lower()
    if rng.random() < 0.12:
        text = text.rstrip(".")
    elif text.endswith("!") and rng.random() < 0.2:
        text += "!"
    return Comment(text, tuple(dict.fromkeys(themes)), typos)


def comment_mood(score: int, *, low: int, high: int) -> Mood:
    """neg at or below `low`, pos at or above `high`, mixed between."""
    if score <= low:
        return "neg"
    if score >= high:
        return "pos"
    return "mixed"
