from __future__ import annotations

import random
import string

import pytest

from cxloop.demo.comments import Cue, compose, human_wait, times
from cxloop.demo.phrases import FRAGMENTS, THEME_PATTERNS, THEMES
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


def _all_fragments() -> list[tuple[str, str, str]]:
    return [
        (theme, bank, text) for theme, banks in FRAGMENTS.items() for bank, texts in banks.items() for text in texts
    ]


def test_every_theme_has_patterns_and_both_tones() -> None:
    assert set(FRAGMENTS) == set(THEMES) == set(THEME_PATTERNS)
    for theme, banks in FRAGMENTS.items():
        assert banks.get("pos"), f"{theme} has no positive sentences"
        if theme != "agent_praise":
            assert any(name.startswith("neg") for name in banks), f"{theme} has no negative sentences"


def test_every_fragment_names_its_theme_and_fills_cleanly() -> None:
    problems = []
    for theme, bank, text in _all_fragments():
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        if not fields <= SAMPLE_SLOTS.keys():
            problems.append(f"{theme}/{bank}: unknown placeholder in {text!r}")
        elif not THEME_PATTERNS[theme].search(text.format(**SAMPLE_SLOTS)):
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
