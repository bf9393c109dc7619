"""Survey definitions are validated with errors that name the exact field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cxloop.surveys import templates
from cxloop.surveys.enums import QuestionKind
from cxloop.surveys.rules import score_answers
from cxloop.surveys.schemas import SurveyCreate, SurveyDefinition
from tests.factories.surveys import nps_definition


def _errors(
    data: dict[str, Any], model: type[SurveyCreate] | type[SurveyDefinition] = SurveyDefinition
) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in caught.value.errors()}


def _q(qid: str, kind: str = "nps", **extra: Any) -> dict[str, Any]:
    return {"id": qid, "kind": kind, "text": {"en": qid}, **extra}


def test_a_valid_definition_round_trips_as_stored_json() -> None:
    definition = SurveyDefinition.model_validate(nps_definition())
    document = definition.to_document()
    assert SurveyDefinition.model_validate(document).to_document() == document
    assert document["questions"][1]["show_if"] == {"question": "q1", "op": "<=", "value": 6}


def test_question_ids_must_be_unique_slugs() -> None:
    assert _errors({"questions": [_q("a"), _q("a", "text")]}) == {"questions.1.id": "question id 'a' is used twice"}
    assert "questions.0.id" in _errors({"questions": [_q("Has Space")]})


def test_choice_questions_need_distinct_options() -> None:
    errors = _errors(
        {
            "questions": [
                _q("one", "single_choice", options=[{"key": "a", "text": {"en": "A"}}]),
                _q(
                    "many",
                    "multiple_choice",
                    options=[{"key": "a", "text": {"en": "A"}}, {"key": "a", "text": {"en": "B"}}],
                ),
                _q("score", "nps", options=[{"key": "a", "text": {"en": "A"}}]),
            ]
        }
    )
    assert errors == {
        "questions.0.options": "a choice question needs at least two options",
        "questions.1.options.1.key": "option key 'a' is used twice",
        "questions.2.options": "only choice questions have options",
    }


def test_scale_belongs_to_rating_questions_only() -> None:
    assert _errors({"questions": [_q("a", "csat", scale=7)]}) == {
        "questions.0.scale": "only rating questions have a scale"
    }
    assert "questions.0.scale" in _errors({"questions": [_q("a", "rating", scale=50)]})


def test_conditions_must_point_back_and_fit_the_question() -> None:
    errors = _errors(
        {
            "questions": [
                _q("later", "text", show_if={"question": "score", "op": "<=", "value": 6}),
                _q("score"),
                _q("bad-range", "text", show_if={"question": "score", "op": ">=", "value": 11}),
                _q("bad-in", "text", show_if={"question": "score", "op": "in", "value": 7}),
                _q(
                    "pick",
                    "single_choice",
                    options=[{"key": "x", "text": {"en": "X"}}, {"key": "y", "text": {"en": "Y"}}],
                ),
                _q("bad-op", "text", show_if={"question": "pick", "op": "<", "value": "x"}),
                _q("bad-key", "text", show_if={"question": "pick", "op": "==", "value": "z"}),
                _q("on-text", "text", show_if={"question": "later", "op": "==", "value": "x"}),
            ]
        }
    )
    assert errors == {
        "questions.0.show_if.question": "'score' is not an earlier question of this survey",
        "questions.2.show_if.value": "must be a whole number from 0 to 10",
        "questions.3.show_if.value": "'in' needs a non-empty list of values",
        "questions.5.show_if.op": "'<' needs a numeric question; use ==, != or in for choices",
        "questions.6.show_if.value": "must be an option key of 'pick': x, y",
        "questions.7.show_if.question": "a condition cannot test a text answer",
    }


def test_texts_need_the_default_locale() -> None:
    data = {
        "key": "s",
        "name": "S",
        "default_locale": "de",
        "definition": {
            "questions": [{"id": "a", "kind": "nps", "text": {"en": "Recommend?", "de": "Empfehlen?"}}, _q("b", "text")]
        },
    }
    assert _errors(data, SurveyCreate) == {
        "definition.questions.1.text": "needs a wording in the survey's default locale 'de'"
    }


def test_shape_errors_name_the_field() -> None:
    errors = _errors({"questions": [{"id": "a", "kind": "stars", "text": {}}]})
    assert set(errors) == {"questions.0.kind", "questions.0.text"}
    assert "questions" in _errors({"questions": []})
    assert "questions.0.surprise" in _errors({"questions": [_q("a", surprise=1)]})


@pytest.mark.parametrize("key", templates.TEMPLATE_KEYS)
def test_templates_are_valid_multilingual_and_follow_up_by_score(key: str) -> None:
    template = templates.get_template(key)
    assert template.key == key
    questions = template.definition.questions
    assert all({"en", "de"} <= set(q.text) for q in questions)
    score = questions[0]
    assert score.kind in {QuestionKind.nps, QuestionKind.csat, QuestionKind.ces} and score.required
    follow_ups = [q for q in questions if q.kind == QuestionKind.text]
    assert len(follow_ups) >= 2 and all(q.show_if and q.show_if.question == score.id for q in follow_ups)
    document = template.definition.to_document()
    low, high = (0, 10) if score.kind == QuestionKind.nps else (1, 5 if score.kind == QuestionKind.csat else 7)
    low_comment = score_answers(document, {score.id: low}, comment="bad").answers
    high_comment = score_answers(document, {score.id: high}, comment="good").answers
    # a low and a high score are asked different open questions
    assert set(low_comment) - {score.id} != set(high_comment) - {score.id}


def test_the_onboarding_template_asks_the_classic_ces_question() -> None:
    assert templates.ONBOARDING_CES.definition.questions[0].text["en"] == "How easy was it to set up your account?"
    assert [t.key for t in templates.all_templates()] == [
        "relationship-nps",
        "post-support-csat",
        "onboarding-ces",
        "post-delivery-csat",
        "site-feedback",
        "case-verify-nps",
        "case-verify-csat",
        "case-verify-ces",
    ]
