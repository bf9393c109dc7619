from __future__ import annotations

import random
import string

import pytest

from cxloop.demo.comments import PHRASEBOOKS, Cue, compose, human_wait, survey_language, times
from cxloop.demo.phrases import THEME_PATTERNS, THEMES
from cxloop.demo.transcripts import OPENERS, REPLIES, transcript

SAMPLE_SLOTS = {
    "late": "three days",
    "wait": "4 hours",
    "agent": "Maya",
    "feature": "bulk ordering",
    "transfers": "three",
    "reopens": "twice",
    "setup": "two days",
}


def _all_fragments(language: str = "en") -> list[tuple[str, str, str]]:
    return [
        (theme, bank, text)
        for theme, banks in PHRASEBOOKS[language].fragments.items()
        for bank, texts in banks.items()
        for text in texts
    ]


@pytest.mark.parametrize("language", sorted(PHRASEBOOKS))
def test_every_theme_has_patterns_and_both_tones(language: str) -> None:
    book = PHRASEBOOKS[language]
    assert set(book.fragments) == set(THEMES) == set(book.patterns)
    assert set(book.openings) == set(book.closings) == {"neg", "mixed", "pos"}
    assert book.details and book.joiners and book.nothing
    for theme, banks in book.fragments.items():
        assert banks.get("pos"), f"{theme} has no positive sentences"
        if theme != "agent_praise":
            assert any(name.startswith("neg") for name in banks), f"{theme} has no negative sentences"


@pytest.mark.parametrize("language", sorted(PHRASEBOOKS))
def test_every_fragment_names_its_theme_and_fills_cleanly(language: str) -> None:
    problems = []
    patterns = PHRASEBOOKS[language].patterns
    # Other languages use only the slots that are names, not the English words the simulation fills in.
    slots = SAMPLE_SLOTS.keys() if language == "en" else {"agent", "feature"}
    for theme, bank, text in _all_fragments(language):
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        if not fields <= slots:
            problems.append(f"{theme}/{bank}: unknown placeholder in {text!r}")
        elif not patterns[theme].search(text.format(**SAMPLE_SLOTS)):
            problems.append(f"{theme}/{bank}: {text!r} does not mention its theme")
    assert problems == []


def test_fragments_are_varied() -> None:
    texts = [text for _, _, text in _all_fragments()]
    assert len(texts) >= 250
    assert len(set(texts)) == len(texts), "a fragment appears twice"


def test_composed_comments_speak_about_the_themes_they_claim() -> None:
    rng = random.Random(11)
    cues = [
        Cue("delivery", "neg", "late", {"late": "two days"}),
        Cue("support_wait", "neg", slots={"wait": "5 hours"}),
        Cue("billing", "neg"),
        Cue("agent_praise", "pos", slots={"agent": "Priya"}),
        Cue("ease_of_use", "pos"),
        Cue("onboarding", "wish"),
    ]
    texts = set()
    mismatches = 0
    for _ in range(600):
        chosen = rng.sample(cues, rng.randint(1, 3))
        comment = compose(rng, chosen, mood=rng.choice(("neg", "mixed", "pos")))
        texts.add(comment.text)
        assert comment.text.strip()
        assert set(comment.themes) <= {c.theme for c in chosen}
        mismatches += sum(1 for theme in comment.themes if not THEME_PATTERNS[theme].search(comment.text))
    assert mismatches == 0
    assert len(texts) > 400, "comments repeat too often"
    assert any(t == t.lower() for t in texts), "nobody writes in lowercase"
    assert any(len(t.split()) <= 4 for t in texts) and any(len(t.split()) >= 25 for t in texts)


@pytest.mark.parametrize("language", ["de", "es"])
def test_comments_in_other_languages_are_composed_from_their_own_parts(language: str) -> None:
    rng = random.Random(5)
    book = PHRASEBOOKS[language]
    english = {text for _, _, text in _all_fragments("en")}
    cues = [Cue("delivery", "neg", "late", {"late": "two days"}), Cue("billing", "neg"), Cue("ease_of_use", "pos")]
    texts = []
    for _ in range(300):
        comment = compose(rng, rng.sample(cues, 2), mood=rng.choice(("neg", "mixed", "pos")), language=language)
        texts.append(comment.text)
        assert all(book.patterns[theme].search(comment.text) for theme in comment.themes), comment.text
        assert "two days" not in comment.text and not english & set(comment.text.split(". "))
    assert len(set(texts)) > 0.9 * len(texts)


def test_customers_answer_in_a_shipped_language_or_english() -> None:
    assert survey_language("de-DE") == "de" and survey_language("es-ES") == "es"
    assert survey_language("en-GB") == survey_language("nl-NL") == survey_language("sv-SE") == "en"


def test_typos_are_counted_and_never_touch_theme_words() -> None:
    rng = random.Random(8)
    comments = [compose(rng, [Cue("billing", "neg"), Cue("delivery", "pos")], mood="mixed") for _ in range(500)]
    with_typos = [c for c in comments if c.typos]
    assert 0.1 < len(with_typos) / len(comments) < 0.5
    assert all(THEME_PATTERNS[t].search(c.text) for c in with_typos for t in c.themes)


def test_late_delivery_cue_mentions_the_delay() -> None:
    rng = random.Random(3)
    texts = [compose(rng, [Cue("delivery", "neg", "late", {"late": "four days"})], mood="neg").text for _ in range(200)]
    assert all(THEME_PATTERNS["delivery"].search(t) for t in texts)
    assert any("four days" in t.lower() for t in texts)


def test_an_empty_set_of_cues_gives_a_nothing_reply() -> None:
    comment = compose(random.Random(1), [], mood="pos")
    assert comment.themes == ()
    assert len(comment.text) <= 15


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(12, "10 minutes"), (70, "over an hour"), (185, "3 hours"), (230, "over 3 hours"), (2880, "two days")],
)
def test_waits_are_put_as_a_customer_would(minutes: float, expected: str) -> None:
    assert human_wait(minutes) == expected


def test_times() -> None:
    assert times(1) == "once" and times(2) == "twice" and times(7) == "7 times"


def test_chat_replies_answer_the_question_asked() -> None:
    assert OPENERS.keys() == REPLIES.keys()
    assert all(len(OPENERS[c]) == len(REPLIES[c]) for c in OPENERS)
    text = transcript(random.Random(2), category="billing", first="Ana", agent="Oscar", happy=True)
    opener = text.splitlines()[0].removeprefix("Ana: ")
    reply = REPLIES["billing"][OPENERS["billing"].index(opener)]
    assert f"Oscar (Larkspur): {reply}" in text
    assert text.splitlines()[-1].startswith("Ana: ")
