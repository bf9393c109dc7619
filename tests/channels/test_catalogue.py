"""channels/catalogue.py: the email, SMS and hosted-page words, one gettext catalogue per language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from cxloop.channels import catalogue
from cxloop.channels.catalogue import LOCALE_DIR, Catalogue


def test_every_language_has_every_message_and_the_same_placeholders() -> None:
    shipped = catalogue.catalogue()
    assert {"de", "en", "es"} <= set(shipped.languages)
    english = shipped.messages["en"]
    assert {channel for channel, _ in english} == {"email", "sms", "hosted"}
    for language, messages in shipped.messages.items():
        assert set(messages) == set(english), language
        for key, text in messages.items():
            placeholders = {part.split("}")[0] for part in text.split("{")[1:]}
            assert placeholders == {part.split("}")[0] for part in english[key].split("{")[1:]}, (language, key)


def test_lookup_falls_back_from_region_to_language_to_english() -> None:
    assert catalogue.words("hosted", "de-AT")["next"] == "Weiter"
    assert catalogue.words("hosted", "DE_at")["next"] == "Weiter"
    assert catalogue.words("email", "es")["greeting"] == "Hola, {name}:"
    assert catalogue.words("sms", "pt-BR")["thanks"] == "Thank you for your feedback!"
    assert catalogue.words("sms", None) is catalogue.words("sms", "en")  # one merged table per chain, reused
    with pytest.raises(KeyError):
        catalogue.words("fax", "en")


def _add_language(directory: Path, folder: str, entries: str) -> None:
    target = directory / folder / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "cxloop.po").write_text(f'msgid ""\nmsgstr ""\n"Language: {folder}\\n"\n\n{entries}', encoding="utf-8")


def test_a_new_language_is_one_file_and_a_partial_one_falls_back_per_message(tmp_path: Path) -> None:
    shutil.copytree(LOCALE_DIR, tmp_path, dirs_exist_ok=True)
    _add_language(
        tmp_path,
        "pt",
        'msgctxt "hosted"\nmsgid "next"\nmsgstr "Seguinte"\n\n'
        '#, fuzzy\nmsgctxt "hosted"\nmsgid "back"\nmsgstr "Voltar?"\n\n'
        'msgctxt "hosted"\nmsgid "send"\nmsgstr ""\n',
    )
    _add_language(tmp_path, "pt_BR", 'msgctxt "hosted"\nmsgid "next"\nmsgstr "Próximo"\n')
    found = Catalogue(tmp_path)
    assert found.languages == ("de", "en", "es", "pt", "pt-BR")
    assert found.words("hosted", "pt-BR")["next"] == "Próximo"
    assert found.words("hosted", "pt-PT")["next"] == "Seguinte"
    brazil = found.words("hosted", "pt-BR")
    assert (brazil["back"], brazil["send"]) == ("Back", "Send")  # fuzzy and empty entries are not translations
    assert found.words("email", "pt")["greeting"] == "Hello {name},"


def test_a_directory_without_english_is_refused(tmp_path: Path) -> None:
    _add_language(tmp_path, "de", 'msgctxt "sms"\nmsgid "thanks"\nmsgstr "Danke"\n')
    with pytest.raises(FileNotFoundError):
        Catalogue(tmp_path)


def test_the_files_are_valid_gettext_with_the_channel_as_context() -> None:
    for path in LOCALE_DIR.glob("*/LC_MESSAGES/cxloop.po"):
        with path.open("rb") as file:
            parsed = read_po(file)
        assert str(parsed.locale) == path.parents[1].name
        assert all(message.context in {"email", "sms", "hosted"} for message in parsed if message.id)
