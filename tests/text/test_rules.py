"""The pure parts of enrichment on text written here: PII masking (Luhn and mod-97 checks keep ordinary numbers),
language, key phrases and the day-one lexicon's rules (negation, "but", intensifiers, phrases, emoji)."""

from __future__ import annotations

from cxloop.text import language, phrases, pii
from cxloop.text.enums import SentimentLabel
from cxloop.text.sentiment import labels, lexicon


def test_emails_phones_cards_ibans_accounts_and_cued_names_are_masked() -> None:
    masked = pii.mask(
        "My name is Priya Patel, mail me at priya.patel+cx@example.co.uk or call 07700 900123. "
        "Card 4111 1111 1111 1111 was charged twice, refund to GB82 WEST 1234 5698 7654 32 please. "
        "Account number 12345678. I spoke to Mr Jones."
    )
    text = masked.text
    for secret in ("Priya", "priya.patel", "07700", "4111", "GB82", "12345678", "Jones"):
        assert secret not in text, (secret, text)
    assert masked.found == {"EMAIL": 1, "PHONE": 1, "CARD": 1, "IBAN": 1, "ACCOUNT": 1, "NAME": 2}
    assert "[EMAIL]" in text and "[CARD]" in text and "[IBAN]" in text and "was charged twice" in text


def test_numbers_that_are_not_personal_stay() -> None:
    kept = "Waited 45 minutes on 3 March, order 1234, rated 10/10. The Team was great."
    assert pii.mask(kept).text == kept
    # 16 digits failing the Luhn check are not a card (masked as a long number instead)
    assert "[CARD]" not in pii.mask("ref 4111 1111 1111 1112").text
    assert pii.luhn_ok("79927398713") and not pii.luhn_ok("79927398710")
    assert pii.iban_ok("GB82 WEST 1234 5698 7654 32") and not pii.iban_ok("GB83 WEST 1234 5698 7654 32")


def test_words_found_in_a_masked_text_are_in_the_text_as_written_unless_they_touch_a_placeholder() -> None:
    written = "Mail me at jane@example.com or call +44 20 7946 0958, I spoke to Mr Brennan"
    masked = pii.mask(written).text.lower()
    for words in ("mail me", "call", "spoke to", "or"):
        assert pii.written_wherever_masked(words) and words in masked and words in written.lower()
    for words in ("[email]", "email]", "[", "mail", "hone", "NAME", "e"):  # may match a placeholder alone
        assert not pii.written_wherever_masked(words)
    assert "[email]" in masked and "[email]" not in written.lower()


def test_language_is_detected_and_short_texts_get_none() -> None:
    assert language.detect("The engineer arrived on time and fixed the router quickly.") == "en"
    assert language.detect("Le technicien est arrivé à l'heure et a réparé la box rapidement.") == "fr"
    assert language.detect("Der Techniker kam pünktlich und hat den Router schnell repariert.") == "de"
    assert language.detect("ok 10") is None


def test_key_phrases_skip_stop_words_and_masked_placeholders() -> None:
    found = phrases.key_phrases("The broadband connection keeps dropping every evening. Contact [EMAIL] please!")
    assert found[0] == "broadband connection keeps"
    assert "email" not in " ".join(found) and "the" not in found
    assert phrases.key_phrases("") == [] and phrases.key_phrases("the and of") == []


def test_lexicon_rules() -> None:
    assert lexicon.score("The staff were helpful and friendly") > 0.3
    assert lexicon.score("The staff were not helpful") < 0
    assert lexicon.score("very good") > lexicon.score("good") > lexicon.score("slightly good") > 0
    assert lexicon.score("Still not working after three calls") < -0.3
    assert lexicon.score("The food was good but the service was terrible") < 0
    assert lexicon.score("Terrible wait but the agent was brilliant") > 0
    assert lexicon.score("Great!!!") > lexicon.score("Great")
    assert lexicon.score("no problems at all") > 0
    assert lexicon.score("👍") > 0 > lexicon.score("👎")
    assert lexicon.score("I called on Tuesday about my bill") == 0.0
    assert -1 <= lexicon.score("awful " * 200) < -0.99
    assert lexicon.label_of(0.0) == SentimentLabel.neutral
    assert lexicon.label_of(0.3) == SentimentLabel.positive and lexicon.label_of(-0.3) == SentimentLabel.negative


def test_weak_labels_follow_the_documented_mapping() -> None:
    assert [labels.from_nps(n).value[:3] for n in range(11)] == ["neg"] * 7 + ["neu"] * 2 + ["pos"] * 2
    assert [labels.from_five_point(n).value[:3] for n in range(1, 6)] == ["neg", "neg", "neu", "pos", "pos"]
    assert labels.weak_label(nps=9, csat=1) == SentimentLabel.positive  # NPS first
    assert labels.weak_label(rating=2) == SentimentLabel.negative
    assert labels.weak_label() is None
