"""channels/hosted/screens.py: the page logic without a browser or a database."""

from __future__ import annotations

import pytest

from cxloop.channels.hosted.screens import (
    AnswerProblem,
    Flow,
    accepted_languages,
    apply_form,
    page_locale,
    parse_answer,
)
from cxloop.surveys.templates import get_template

DELIVERY = Flow(get_template("post-delivery-csat").definition.to_document())
NPS = Flow(get_template("relationship-nps").definition.to_document())


def test_screens_follow_the_show_if_conditions() -> None:
    assert NPS.visible({}) == ["nps"]
    assert NPS.visible({"nps": 4}) == ["nps", "improve"]
    assert NPS.next_after("nps", {"nps": 7}) == "missing"
    assert NPS.next_after("like", {"nps": 10}) is None
    assert NPS.first_open({"nps": 10}) == "like"
    assert NPS.previous_before("like", {"nps": 10}) == "nps"
    assert DELIVERY.without_hidden({"csat": 5, "problems": ["late"], "liked": "x"}) == {"csat": 5, "liked": "x"}


def test_the_expected_count_counts_alternative_follow_ups_once() -> None:
    assert NPS.expected_count({}) == 2  # the score, then one of 'improve', 'missing', 'like'
    assert NPS.expected_count({"nps": 10}) == 2
    assert DELIVERY.expected_count({}) == 2
    assert DELIVERY.expected_count({"csat": 2}) == 3  # what went wrong, then the details
    assert DELIVERY.expected_count({"csat": 5}) == 2
    screen = DELIVERY.screen("problems", {"csat": 2}, locale="en", default_locale="en")
    assert (screen.number, screen.total) == (2, 3)


def test_the_send_button_shows_only_where_nothing_can_follow() -> None:
    assert not NPS.is_last("nps", {})
    assert NPS.is_last("improve", {"nps": 3})
    assert not DELIVERY.is_last("problems", {"csat": 2})
    assert DELIVERY.is_last("details", {"csat": 2})


def test_apply_form_sends_none_for_follow_ups_a_new_score_hides() -> None:
    step = apply_form(DELIVERY, {"csat": 2, "problems": ["late"]}, "csat", ["5"], skip=False)
    assert step.answers == {"csat": 5, "problems": None}
    assert step.next_question == "liked"
    assert apply_form(NPS, {}, "nps", [""], skip=False).error == "required"
    assert apply_form(NPS, {"nps": 3}, "improve", ["  "], skip=True).answers == {}


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("nps", ["10"], 10),
        ("nps", [" "], None),
        ("single_choice", ["b"], "b"),
        ("multiple_choice", ["a", "b", "a"], ["a", "b"]),
        ("multiple_choice", [], None),
        ("text", ["  hello  "], "hello"),
    ],
)
def test_parse_answer(kind: str, values: list[str], expected: object) -> None:
    spec = {"id": "q", "kind": kind, "options": [{"key": "a"}, {"key": "b"}]}
    assert parse_answer(spec, values) == expected


@pytest.mark.parametrize(
    ("kind", "values"),
    [("nps", ["11"]), ("nps", ["-1"]), ("nps", ["٣"]), ("single_choice", ["c"]), ("text", ["x" * 10_001])],
)
def test_parse_answer_refuses(kind: str, values: list[str]) -> None:
    with pytest.raises(AnswerProblem):
        parse_answer({"id": "q", "kind": kind, "options": [{"key": "a"}, {"key": "b"}]}, values)


def test_locales() -> None:
    assert accepted_languages("de-CH, de;q=0.9, en;q=0.5, *;q=0.1") == ["de-CH", "de", "en"]
    assert accepted_languages("fr;q=0, es") == ["es"]
    assert accepted_languages(None) == []
    assert page_locale(["de-CH"], ["en", "de"], "en") == "de"
    assert page_locale(["pt-BR", "es"], ["en", "es"], "en") == "es"
    assert page_locale([None, "fr"], ["en", "de"], "en") == "en"


def test_kiosk_suitability() -> None:
    assert DELIVERY.kiosk_problem() is None
    assert NPS.kiosk_problem() == "its first question is not a CSAT or rating question"
    assert DELIVERY.kiosk_comment_after({"csat": 2}) == "details"
    assert DELIVERY.kiosk_comment_after({"csat": 4}) == "liked"
