"""Masking of personal data in free text: emails, phone numbers, payment card numbers (Luhn-checked), IBANs
(mod-97-checked) and other long account numbers, and people's names where a cue words them ("my name is Anna",
"spoke to Mr Jones"). The patterns are pure and fast: a text with no digit and no "@" skips all but the name cues.

With cxloop[names] installed, people's names anywhere in the text are masked too: the PERSON entities of spaCy's
small English pipeline (text/names.py), read in batches by `mask_many` (about 2 ms a comment, 50 times the cost of
the patterns). Without it, `mask` is as before: names are found only after cues.

Limits (docs/text-analytics.md): a phone number is masked when `phonenumbers` finds a possible number of at least 9
digits (local numbers read for the default region, GB, or in international form); digits written as words are not
found; the model misses some names and masks some capitalised words that are not names (measured in
bench/bench_names.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import phonenumbers

from cxloop.text import names

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 13-19 digits, optionally grouped by spaces or dashes (card numbers as people type them).
CARD = re.compile(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
ACCOUNT = re.compile(
    r"(?i)\b(?:account|acct|a/c|sort code|customer (?:no|number)|ref(?:erence)?)\b"
    r"\W{0,3}(?:no\.?|number|#)?\W{0,3}(\d[\d -]{4,}\d)"
)
_DIGIT = re.compile(r"\d")
_UPPER_AFTER_START = re.compile(r".[A-Z]", re.DOTALL)
LONG_DIGITS = re.compile(r"(?<![\w])\d{9,}(?![\w])")
_NAME = r"([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)"
NAME_CUES = re.compile(
    r"(?:\b(?:[Mm]y name is|[Nn]ame'?s|[Ss]poke (?:to|with)|[Tt]alked (?:to|with)|[Ss]peaking (?:to|with)|"
    r"[Hh]elped by|[Tt]hanks to|[Tt]hank you|[Aa]gent|[Aa]dvisor|[Aa]dviser|[Ee]ngineer|[Tt]echnician|"
    r"[Cc]alled|[Ss]igned)\s+(?:was\s+)?)" + _NAME
)
TITLE_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir)\.?\s+" + _NAME)
# Words a name cue is followed by that are not names.
_NOT_NAMES = frozenset(
    [
        "I",
        "The",
        "A",
        "An",
        "It",
        "This",
        "That",
        "They",
        "We",
        "You",
        "He",
        "She",
        "His",
        "Her",
        "Their",
        "Our",
        "My",
        "Your",
        "Who",
        "What",
        "When",
        "Where",
        "Why",
        "How",
        "Very",
        "So",
        "Really",
        "For",
        "To",
        "And",
        "But",
        "Or",
        "Not",
        "No",
        "Yes",
        "All",
        "Everyone",
        "Team",
        "Company",
        "Customer",
        "Service",
        "Support",
        "Again",
    ]
)
DEFAULT_REGION = "GB"
MIN_PHONE_DIGITS = 9  # fewer is an order number, a time or a date more often than a phone number
NAME_PLACEHOLDER, EMAIL_PLACEHOLDER = "[NAME]", "[EMAIL]"


@dataclass
class Masked:
    """The text with each finding replaced by `[KIND]`, and how many of each kind were found."""

    text: str
    found: Counter[str] = field(default_factory=Counter)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _sub(pattern: re.Pattern[str], kind: str, text: str, found: Counter[str], check: object = None) -> str:
    def replace(m: re.Match[str]) -> str:
        if callable(check) and not check(m.group(0)):
            return m.group(0)
        found[kind] += 1
        return f"[{kind}]"

    return pattern.sub(replace, text)


def _card(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def _phones(text: str, found: Counter[str], region: str) -> str:
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
    spans = [(m.start, m.end) for m in matcher if sum(ch.isdigit() for ch in m.raw_string) >= MIN_PHONE_DIGITS]
    for start, end in reversed(spans):
        text = text[:start] + "[PHONE]" + text[end:]
        found["PHONE"] += 1
    return text


def _names(pattern: re.Pattern[str], text: str, found: Counter[str]) -> str:
    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.split()[0] in _NOT_NAMES:
            return m.group(0)
        found["NAME"] += 1
        start = m.start(1) - m.start(0)
        return m.group(0)[:start] + "[NAME]" + m.group(0)[start + len(name) :]

    return pattern.sub(replace, text)


def mask(text: str, *, region: str = DEFAULT_REGION) -> Masked:
    """Mask the personal data found in `text`; `mask_many` of one text."""
    return mask_many([text], region=region)[0]


def mask_many(texts: Sequence[str], *, region: str = DEFAULT_REGION, ner: bool = True) -> list[Masked]:
    """`mask` of each text. With cxloop[names] installed (and `ner`), the names spaCy finds are masked first, the
    texts read in batches; then the patterns and name cues (`ner=False`: those only, as without the extra)."""
    if not (ner and texts and names.installed()):
        return [_mask_rules(t, Counter(), region) for t in texts]
    masked = []
    for text, spans in zip(texts, names.person_spans(texts), strict=True):
        found: Counter[str] = Counter()
        for start, end in reversed(spans):
            text = text[:start] + NAME_PLACEHOLDER + text[end:]
            found["NAME"] += 1
        masked.append(_mask_rules(text, found, region))
    return masked


def _mask_rules(text: str, found: Counter[str], region: str) -> Masked:
    """The patterns and the name cues (order matters: the most specific patterns first)."""
    if "@" in text:
        text = _sub(EMAIL, "EMAIL", text, found)
    if _DIGIT.search(text):
        text = _sub(IBAN, "IBAN", text, found, iban_ok)
        text = _sub(CARD, "CARD", text, found, _card)
        text = ACCOUNT.sub(lambda m: _account(m, found), text)
        if len(_DIGIT.findall(text)) >= MIN_PHONE_DIGITS:
            text = _phones(text, found, region)
        text = _sub(LONG_DIGITS, "NUMBER", text, found)
    if _UPPER_AFTER_START.search(text):
        text = _names(NAME_CUES, text, found)
        text = _names(TITLE_NAME, text, found)
    return Masked(text, found)


KINDS = ("EMAIL", "PHONE", "CARD", "IBAN", "ACCOUNT", "NUMBER", "NAME")  # every `[KIND]` a masked text can hold


def written_wherever_masked(words: str) -> bool:
    """Whether a masked text containing `words` (any case) always has them in the text as written: masking only
    replaces spans by `[KIND]`, so it does unless the words can touch a placeholder (they hold a bracket, or lie
    inside a kind's name, as "mail" does). Then a search of the masked texts may first test the text as written,
    which the row itself holds (docs/text-analytics.md)."""
    lowered = words.lower()
    return not any(mark in lowered for mark in "[]") and not any(lowered in kind.lower() for kind in KINDS)


def mask_known(text: str, *, name: str | None = None, email: str | None = None) -> str:
    """`text` with a known person's email and name (a feedback item's author) replaced wherever they appear, which
    `mask` cannot know: the email and the whole name in any case, each word of the name of three or more letters as
    written ("Thanks, Jane"). More is masked than needed when a name is also a word ("Will"): the safe side."""
    if email and email.strip():
        text = re.sub(re.escape(email.strip()), EMAIL_PLACEHOLDER, text, flags=re.IGNORECASE)
    words = (name or "").split()
    if words:
        text = re.sub(r"\b" + r"\s+".join(map(re.escape, words)) + r"\b", NAME_PLACEHOLDER, text, flags=re.IGNORECASE)
        for word in sorted({w for w in words if len(w) >= 3 and w.isalpha()}, key=len, reverse=True):
            text = re.sub(rf"\b{re.escape(word)}\b", NAME_PLACEHOLDER, text)
    return text


def _account(m: re.Match[str], found: Counter[str]) -> str:
    found["ACCOUNT"] += 1
    start = m.start(1) - m.start(0)
    return m.group(0)[:start] + "[ACCOUNT]"
