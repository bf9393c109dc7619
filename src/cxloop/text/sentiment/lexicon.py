"""The day-one sentiment model: cxloop's own lexicon (lexicon.txt, written for customer feedback) with the rules
that matter in short comments, after Hutto & Gilbert's VADER (2014): phrases before words ("not working", "waste of
time"), negation of the three words before, intensifiers and dampeners, "but" shifting weight to what follows, all
capitals and exclamation marks for emphasis, and emoji. The sum is squashed into [-1, 1] as VADER does.

Pure Python and fast (tens of thousands of comments per second); nothing is downloaded or learned.
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources

from cxloop.text.enums import SentimentLabel

NAME = "lexicon-1"  # bump when the word list or the rules change: stored with every analysis
NEUTRAL_BAND = 0.05  # |score| below this is neutral
_ALPHA = 15.0  # VADER's normalisation constant
_NEGATION_WINDOW = 3
_NEGATED = -0.74

NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "nowhere",
        "neither",
        "nor",
        "without",
        "hardly",
        "barely",
        "cannot",
        "can't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "won't",
        "wouldn't",
        "couldn't",
        "shouldn't",
        "haven't",
        "hasn't",
        "hadn't",
        "aint",
        "ain't",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "wont",
        "wouldnt",
        "couldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
        "cant",
    ]
)
BOOSTERS = {
    **dict.fromkeys(
        [
            "very",
            "really",
            "so",
            "extremely",
            "super",
            "incredibly",
            "absolutely",
            "totally",
            "completely",
            "utterly",
            "highly",
            "truly",
            "such",
            "too",
            "most",
            "especially",
            "exceptionally",
            "remarkably",
            "seriously",
            "hugely",
            "massively",
            "insanely",
            "ridiculously",
        ],
        0.3,
    ),
    **dict.fromkeys(["slightly", "somewhat", "fairly", "partly", "barely", "marginally", "kinda", "sorta"], -0.3),
}
CONTRASTS = frozenset(("but", "however", "although", "though", "yet"))
EMOJI = {
    **dict.fromkeys(
        [
            "😀",
            "😃",
            "😄",
            "😁",
            "😊",
            "🙂",
            "😍",
            "🥰",
            "😘",
            "👍",
            "👏",
            "🙌",
            "❤",
            "❤️",
            "💯",
            "🎉",
            "⭐",
            "🌟",
            "😎",
            "🤩",
            "☺",
            "♥",
            "💕",
            "💖",
            "✅",
        ],
        2.0,
    ),
    **dict.fromkeys(
        [
            "😡",
            "😠",
            "🤬",
            "😤",
            "😞",
            "😢",
            "😭",
            "😩",
            "😫",
            "👎",
            "💩",
            "🙁",
            "☹",
            "😒",
            "😔",
            "😖",
            "😣",
            "🤮",
            "🤢",
            "😱",
            "😑",
            "🙄",
            "❌",
        ],
        -2.0,
    ),
    **dict.fromkeys([":)", ":-)", ":d", ":-d", ";)", ";-)", "<3", "=)", ":p"], 2.0),
    **dict.fromkeys([":(", ":-(", ":/", ":-/", ">:(", ":'(", "=("], -2.0),
}
_TOKEN = re.compile(
    r"[:;=>][-']?[()dDpP/]|<3|[A-Za-z](?:[A-Za-z']*[A-Za-z])?|[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50]\ufe0f?|!+"
)


@cache
def lexicon() -> dict[tuple[str, ...], float]:
    """Word or phrase (as a tuple of words) -> valence, from lexicon.txt."""
    entries: dict[tuple[str, ...], float] = {}
    text = resources.files(__package__).joinpath("lexicon.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        valence, words = line.split(":", 1)
        for word in words.split():
            entries[tuple(word.split("_"))] = float(valence)
    return entries


@cache
def _longest() -> int:
    return max(len(k) for k in lexicon())


def _squash(total: float) -> float:
    return total / math.sqrt(total * total + _ALPHA)


def label_of(score: float) -> SentimentLabel:
    if score >= NEUTRAL_BAND:
        return SentimentLabel.positive
    if score <= -NEUTRAL_BAND:
        return SentimentLabel.negative
    return SentimentLabel.neutral


def score(text: str) -> float:
    """The sentiment of `text` in [-1, 1] (0 when no word carries any)."""
    raw = _TOKEN.findall(text)
    if not raw:
        return 0.0
    shouting = not text.isupper()
    words = [t.lower() for t in raw]
    entries = lexicon()
    longest = _longest()
    valences: list[float] = []
    contrast_at = -1
    exclamations = 0
    i = 0
    n = len(words)
    while i < n:
        word = words[i]
        if word[0] == "!":
            exclamations += len(word)
            i += 1
            continue
        if word in CONTRASTS and contrast_at < 0 and valences:
            contrast_at = len(valences)
        found = 0.0
        size = 0
        for length in range(min(longest, n - i), 0, -1):
            value = entries.get(tuple(words[i : i + length]))
            if value is not None:
                found, size = value, length
                break
        if not size:
            emoji = EMOJI.get(word)
            if emoji is not None:
                found, size = emoji, 1
        if not size:
            i += 1
            continue
        value = found
        for back in range(1, _NEGATION_WINDOW + 1):
            j = i - back
            if j < 0:
                break
            before = words[j]
            boost = BOOSTERS.get(before)
            if boost is not None and back == 1:
                value += boost if value > 0 else -boost
            if before in NEGATIONS:
                value *= _NEGATED
                break
        if shouting and raw[i].isupper() and len(raw[i]) > 1:
            value *= 1.25
        valences.append(value)
        i += size
    if not valences:
        return 0.0
    if contrast_at > 0:
        valences = [v * 0.5 for v in valences[:contrast_at]] + [v * 1.5 for v in valences[contrast_at:]]
    total = sum(valences)
    if exclamations and total:
        total += math.copysign(min(exclamations, 4) * 0.29, total)
    return _squash(total)
