"""People's names masked by spaCy's NER (text/names.py, cxloop[names]; those tests are skipped, with the reason,
where it is not installed), and masking without it exactly as before (those run everywhere)."""

from __future__ import annotations

from collections import Counter

import pytest

from cxloop.text import names, pii

needs_names = pytest.mark.skipif(
    not names.installed(), reason="needs spaCy's model: pip install -e '.[names]' (not part of the dev extra)"
)


@pytest.fixture
def without_spacy(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on an install without cxloop[names]: the model is never loaded."""

    def no_model() -> None:
        raise AssertionError("the model must not be loaded without cxloop[names]")

    monkeypatch.setattr(names, "installed", lambda: False)
    monkeypatch.setattr(names, "_nlp", no_model)


@pytest.mark.usefixtures("without_spacy")
def test_without_the_extra_names_are_masked_after_cues_only() -> None:
    texts = [
        "Anna at the desk was lovely. I spoke to Mr Jones, then my name is Priya Patel.",
        "Email me at sam@example.com, Sam Roe",
        "Flew Delta to Atlanta.",
    ]
    expected = [
        "Anna at the desk was lovely. I spoke to [NAME], then my name is [NAME].",
        "Email me at [EMAIL], Sam Roe",
        "Flew Delta to Atlanta.",
    ]
    assert [pii.mask(t).text for t in texts] == expected
    assert [m.text for m in pii.mask_many(texts)] == expected
    assert pii.mask(texts[0]).found == Counter({"NAME": 2})
    assert pii.mask_many([]) == []


def test_ner_false_is_the_cue_rules_alone() -> None:
    text = "Anna at the desk was lovely, thanks to Mark."
    [masked] = pii.mask_many([text], ner=False)
    assert masked.text == "Anna at the desk was lovely, thanks to [NAME]."
    assert masked.found == Counter({"NAME": 1})


@needs_names
def test_names_anywhere_are_masked_and_counted() -> None:
    masked = pii.mask("Please pass my thanks on to Kevin Walsh in the Leeds branch, and to Gary.")
    assert "Kevin" not in masked.text and "Walsh" not in masked.text and "Gary" not in masked.text
    assert "Leeds" in masked.text and masked.text.count("[NAME]") == masked.found["NAME"] == 2


@needs_names
def test_ner_and_the_patterns_together() -> None:
    masked = pii.mask("Hannah Schmidt rebooked us, mail hannah@example.com or call 07700 900123. I spoke to Mr Jones.")
    for secret in ("Hannah", "Schmidt", "hannah@", "07700", "Jones"):
        assert secret not in masked.text, masked.text
    assert masked.found["EMAIL"] == masked.found["PHONE"] == 1 and masked.found["NAME"] == 2
    assert "rebooked us" in masked.text


@needs_names
def test_the_batch_masks_as_one_text_at_a_time() -> None:
    texts = ["Jessica's patience was amazing.", "Nothing personal here.", "", "Thank you Claire and Ben!"] * 3
    assert [m.text for m in pii.mask_many(texts)] == [pii.mask(t).text for t in texts]
    assert pii.mask("Jessica's patience was amazing.").text == "[NAME]'s patience was amazing."


@needs_names
def test_handles_hashtags_and_words_that_are_not_names_as_written_stay() -> None:
    kept = [
        "@VirginAmerica my first Virgin flight and the seats were great",
        "#UnitedAirlines lost my bag",
        "The BA lounge had WiFi but no seats",
        "Customer service was quick and polite.",
    ]
    for text in kept:
        assert pii.mask(text).text == text


def test_a_possessive_and_joined_names_read_as_names() -> None:
    assert names._reads_as_name(["Marie", "-", "Claire"]) and names._reads_as_name(["Jack", "O'Connor"])
    assert names._reads_as_name(["Ludwig", "van", "Beethoven"]) and names._reads_as_name(["McDonald"])
    for tokens in (["dave"], ["BA"], ["WiFi"], ["UnitedAirlines"], ["van"], ["Anna", "-"], ["R2D2"], []):
        assert not names._reads_as_name(tokens), tokens
