"""Answer validation and scoring against a survey version (no database)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.surveys import rules
from cxloop.surveys.rules import compile_definition, localized_text, score_answers
from tests.factories.surveys import every_kind_definition, nps_definition

NPS = nps_definition()
EVERY = every_kind_definition()


def _fields(result: rules.ScoredAnswers) -> dict[str, str]:
    return {e.field: e.message for e in result.errors}


def test_scores_and_comment_are_derived_from_the_answers() -> None:
    result = score_answers(NPS, {"q1": 4, "why-low": "  Too slow  ", "plan": "pro", "speed": 8})
    assert result.errors == []
    assert (result.nps, result.csat, result.ces) == (4, None, None)
    assert result.comment == "Too slow"
    assert result.answers == {"q1": 4, "why-low": "Too slow", "plan": "pro", "speed": 8}


def test_every_kind_is_checked_against_its_range_or_options() -> None:
    bad = score_answers(
        EVERY,
        {"sat": 0, "effort": 8, "rec": 11, "stars": 6, "topics": ["price", "nope"], "size": "xl", "notes": 5},
    )
    fields = _fields(bad)
    assert fields["answers.sat"] == "must be a whole number from 1 to 5"
    assert fields["answers.effort"] == "must be a whole number from 1 to 7"
    assert fields["answers.rec"] == "must be a whole number from 0 to 10"
    assert fields["answers.stars"] == "must be a whole number from 1 to 5"
    assert "price, speed, ux" in fields["answers.topics"]
    assert fields["answers.size"] == "must be one of: s, m"
    assert fields["answers.notes"] == "must be text"
    good = score_answers(
        EVERY, {"sat": 5, "effort": 1, "rec": 0, "stars": 5, "topics": ["ux", "price"], "size": "m", "notes": "ok"}
    )
    assert good.errors == []
    assert (good.nps, good.csat, good.ces, good.comment) == (0, 5, 1, "ok")


@pytest.mark.parametrize("value", [True, 7.0, "7", None.__class__, [7]])
def test_scores_must_be_real_integers(value: Any) -> None:
    assert "answers.rec" in _fields(score_answers(EVERY, {"rec": value}))


def test_unknown_questions_are_rejected_by_id() -> None:
    assert _fields(score_answers(NPS, {"q1": 9, "q9": 1})) == {"answers.q9": "the survey has no question 'q9'"}


def test_required_questions_unless_partial() -> None:
    assert _fields(score_answers(NPS, {"plan": "free"})) == {"answers.q1": "is required"}
    assert score_answers(NPS, {"plan": "free"}, partial=True).errors == []
    assert _fields(score_answers(EVERY, {})) == {"answers": "at least one question must be answered"}
    assert score_answers(EVERY, {}, partial=True).errors == []


def test_answers_to_hidden_follow_ups_are_rejected() -> None:
    result = score_answers(NPS, {"q1": 9, "why-low": "meh"})
    assert _fields(result) == {"answers.why-low": "was not shown: it is asked only when q1 <= 6"}
    assert "why-low" not in result.answers
    assert score_answers(NPS, {"q1": 9, "why-high": "fast"}).comment == "fast"
    # a passive sees neither follow-up
    assert set(_fields(score_answers(NPS, {"q1": 7, "why-high": "x"}))) == {"answers.why-high"}


def test_a_bad_score_reports_only_itself_not_the_follow_ups_it_decides() -> None:
    # The follow-up questions depend on q1; with q1 bad nobody knows which was shown, so nothing more is reported.
    assert _fields(score_answers(NPS, {"q1": 11, "why-low": "slow"})) == {
        "answers.q1": "must be a whole number from 0 to 10"
    }
    result = score_answers(NPS, {}, nps=12, comment="slow")
    assert _fields(result) == {"nps": "must be a whole number from 0 to 10"}
    # with a good score the comment still has to fit what was shown
    assert "answers.why-low" in _fields(score_answers(NPS, {"q1": 9, "why-low": "slow"}))


def test_a_follow_up_of_an_unanswered_question_is_hidden() -> None:
    assert "answers.why-high" in _fields(score_answers(NPS, {"plan": "pro", "why-high": "x"}, partial=True))


def test_shortcuts_fill_the_first_question_of_their_kind() -> None:
    result = score_answers(NPS, {}, nps=3, comment="Support never answered")
    assert result.errors == []
    assert result.answers == {"q1": 3, "why-low": "Support never answered"}
    # the comment lands in the follow-up that is shown for this score
    promoter = score_answers(NPS, {}, nps=10, comment="Love it")
    assert promoter.answers == {"q1": 10, "why-high": "Love it"}


def test_shortcuts_must_agree_with_explicit_answers() -> None:
    assert score_answers(NPS, {"q1": 3, "why-low": "slow"}, nps=3, comment="slow").errors == []
    fields = _fields(score_answers(NPS, {"q1": 3, "why-low": "slow"}, nps=4, comment="other"))
    assert fields == {"nps": "conflicts with answers.q1 (3)", "comment": "conflicts with answers.why-low"}


def test_shortcuts_for_kinds_the_survey_lacks() -> None:
    fields = _fields(score_answers(NPS, {"q1": 9}, csat=4, ces=2))
    assert fields == {"csat": "the survey has no CSAT question", "ces": "the survey has no CES question"}
    assert _fields(score_answers(NPS, {}, nps=7, comment="x")) == {
        "comment": "no open (text) question is shown for these answers"
    }
    assert _fields(score_answers(NPS, {}, nps=12)) == {"nps": "must be a whole number from 0 to 10"}


def test_conditions_on_choices() -> None:
    definition = {
        "questions": [
            {
                "id": "topics",
                "kind": "multiple_choice",
                "text": {"en": "t"},
                "options": [{"key": "a", "text": {"en": "A"}}, {"key": "b", "text": {"en": "B"}}],
            },
            {
                "id": "about-a",
                "kind": "text",
                "text": {"en": "a?"},
                "show_if": {"question": "topics", "op": "==", "value": "a"},
            },
            {
                "id": "not-b",
                "kind": "text",
                "text": {"en": "b?"},
                "show_if": {"question": "topics", "op": "!=", "value": "b"},
            },
        ]
    }
    assert score_answers(definition, {"topics": ["a"], "about-a": "x", "not-b": "y"}).errors == []
    assert set(_fields(score_answers(definition, {"topics": ["b"], "about-a": "x", "not-b": "y"}))) == {
        "answers.about-a",
        "answers.not-b",
    }


def test_text_values_from_flat_files_are_parsed() -> None:
    compiled = compile_definition(EVERY)
    result = compiled.score({"rec": " 9 ", "topics": "price|ux", "size": "s", "notes": "", "sat": ""}, from_text=True)
    assert result.errors == []
    assert result.answers == {"rec": 9, "topics": ["price", "ux"], "size": "s"}
    assert set(_fields(compiled.score({"rec": "9.0", "stars": "٣"}, from_text=True))) == {
        "answers.rec",
        "answers.stars",
    }


def test_text_answers_are_bounded_and_nul_free() -> None:
    assert "longer than" in _fields(score_answers(EVERY, {"notes": "x" * (rules.MAX_TEXT_LENGTH + 1)}))["answers.notes"]
    assert _fields(score_answers(EVERY, {"notes": "a\x00b"}))["answers.notes"] == "must not contain NUL characters"


@given(st.integers(min_value=-5, max_value=15))
def test_nps_validity_matches_the_scale(value: int) -> None:
    result = score_answers(NPS, {"q1": value})
    assert (result.errors == []) == (0 <= value <= 10)
    assert result.nps == (value if 0 <= value <= 10 else None)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["sat", "effort", "rec", "stars", "topics", "size", "notes", "other"]),
        st.one_of(
            st.none(), st.integers(-3, 12), st.text(max_size=5), st.lists(st.sampled_from(["price", "ux", "zz"]))
        ),
    )
)
def test_validation_never_crashes_and_clean_answers_are_valid(answers: dict[str, Any]) -> None:
    result = score_answers(EVERY, answers, partial=True)
    # whatever was kept re-validates cleanly and yields the same scores
    again = score_answers(EVERY, result.answers, partial=True)
    assert again.errors == []
    assert (again.nps, again.csat, again.ces, again.comment) == (result.nps, result.csat, result.ces, result.comment)
    for field in {e.field for e in result.errors}:
        assert field.startswith("answers.")


def test_localized_text_falls_back_to_language_then_default() -> None:
    texts = {"en": "Hello", "de": "Hallo", "pt-BR": "Olá"}
    assert localized_text(texts, "de", "en") == "Hallo"
    assert localized_text(texts, "de-AT", "en") == "Hallo"
    assert localized_text(texts, "pt", "en") == "Olá"
    assert localized_text(texts, "fr", "en") == "Hello"
    assert localized_text(texts, None, "de") == "Hallo"


def test_localize_questions_resolves_options_too() -> None:
    questions = rules.localize_questions(NPS, "de", "en")
    assert questions[0]["text"] == "Wie wahrscheinlich?"
    assert questions[2]["text"] == "What do you like?"  # no German: default locale
    assert [o["text"] for o in questions[3]["options"]] == ["Free", "Profi"]
