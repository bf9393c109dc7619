"""The channels' own words (email, SMS and hosted pages), one gettext catalogue per language.

Questions bring their own translations; these are the words around them. Each language is one file,
`locale/<lang>/LC_MESSAGES/cxloop.po`, whose `msgctxt` is the channel and `msgid` the message's name:

    words("hosted", "pt-BR")["next"]   # Brazilian Portuguese, else Portuguese, else English

A message missing from a language (or marked fuzzy) falls back the same way, so a partial translation still shows
every word. The files are read with Babel once per process; adding a language is adding a file
(docs/development/translations.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from babel.messages.pofile import read_po

FALLBACK = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cxloop"

Messages = dict[tuple[str, str], str]  # (channel, name) -> words


class Catalogue:
    """Every language's messages under one locale directory, looked up with fallback to English."""

    def __init__(self, directory: Path) -> None:
        self.messages: dict[str, Messages] = {}
        for path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            self.messages[_tag(path.parents[1].name)] = _read(path)
        if FALLBACK not in self.messages:
            raise FileNotFoundError(f"no {FALLBACK} catalogue under {directory}")
        self.languages = tuple(self.messages)
        # (channel, chain) -> words; bounded, since a chain only holds languages that have a catalogue.
        self._merged: dict[tuple[str, tuple[str, ...]], Mapping[str, str]] = {}

    def words(self, channel: str, locale: str | None) -> Mapping[str, str]:
        """The channel's words in `locale` ('de-AT' gets German), English for what it has no translation of."""
        key = (channel, _chain(locale, self.languages))
        found = self._merged.get(key)
        if found is None:
            merged: dict[str, str] = {}
            for language in reversed(key[1]):
                merged.update(
                    {name: text for (context, name), text in self.messages[language].items() if context == channel}
                )
            if not merged:
                raise KeyError(f"no messages for channel {channel!r}")
            found = self._merged[key] = MappingProxyType(merged)
        return found


def _tag(folder: str) -> str:
    """'pt_BR' (gettext's folder name) -> 'pt-BR'."""
    return folder.replace("_", "-")


def _chain(locale: str | None, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The catalogues to consult for `locale`, most specific first, always ending in English: pt-BR, pt, en."""
    parts = (locale or FALLBACK).replace("_", "-").split("-")
    wanted = ["-".join(parts[:i]) for i in range(len(parts), 0, -1)]
    found = [known for tag in wanted for known in languages if known.lower() == tag.lower()]
    return tuple(dict.fromkeys([*found, FALLBACK]))


def _read(path: Path) -> Messages:
    with path.open("rb") as file:
        catalog = read_po(file, domain=DOMAIN)
    messages: Messages = {}
    for message in catalog:
        if message.id and message.string and not message.fuzzy and isinstance(message.id, str):
            messages[(str(message.context or ""), message.id)] = str(message.string)
    return messages


@cache
def catalogue() -> Catalogue:
    """The catalogues shipped with cxloop, read on first use."""
    return Catalogue(LOCALE_DIR)


def words(channel: str, locale: str | None) -> Mapping[str, str]:
    """The words of `channel` ('email', 'sms' or 'hosted') in `locale`, falling back to its language, then English."""
    return catalogue().words(channel, locale)


def languages() -> tuple[str, ...]:
    """The languages with a catalogue ('de', 'en', 'es', ...)."""
    return catalogue().languages
