"""What the hosted page and the kiosk show, with no web framework: which question comes next under the survey's
`show_if` conditions, which locale a page speaks, and how a form field becomes an answer.

One question is one screen. A question is shown when it has no condition or its condition holds for the answers
given so far (the same test `surveys.rules` applies when it validates answers, so the page never offers a question
the service would refuse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cxloop.surveys import rules
from cxloop.surveys.enums import QuestionKind

SCORE_FIRST_KINDS = (QuestionKind.csat, QuestionKind.rating)  # what a kiosk can ask with five faces
KIOSK_POINTS = 5


class AnswerProblem(ValueError):
    """A form value that is not an answer to its question; the message is the name of a "hosted" message
    (channels/catalogue.py)."""


@dataclass(frozen=True)
class Screen:
    """One question ready to render: localized text, the values a scale offers, its position among shown ones."""

    id: str
    kind: str
    text: str
    required: bool
    options: list[tuple[str, str]]  # (key, text) for choice questions
    values: list[int]  # every valid score for numeric questions, low to high
    number: int  # 1-based position among the questions shown so far
    total: int  # how many screens these answers lead to (Flow.expected_count)


class Flow:
    """A survey version's questions with their conditions, for walking the screens of one set of answers."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition = definition
        self.compiled = rules.compile_definition(definition)
        self.specs: dict[str, Mapping[str, Any]] = {q["id"]: q for q in definition.get("questions") or []}
        self.order = [q.id for q in self.compiled.questions]

    def shown(self, qid: str, answers: Mapping[str, Any]) -> bool:
        """Whether question `qid` is shown after these answers (False for an unknown id)."""
        question = self.compiled.by_id.get(qid)
        if question is None:
            return False
        condition = question.condition
        if condition is None:
            return True
        return condition.question in answers and bool(condition.test(answers[condition.question]))

    def visible(self, answers: Mapping[str, Any]) -> list[str]:
        return [qid for qid in self.order if self.shown(qid, answers)]

    def expected_count(self, answers: Mapping[str, Any]) -> int:
        """How many screens these answers lead to: the shown questions, plus one for each unanswered question that
        decides later follow-ups (follow-ups on one score are alternatives, like 'what went wrong' for a low score and
        'what did you like' for a high one, so they count once). The count firms up as the answers come in."""
        shown = self.visible(answers)
        pending = {
            condition.question
            for qid in self.order
            if qid not in shown
            and (condition := self.compiled.by_id[qid].condition) is not None
            and condition.question not in answers
        }
        return len(shown) + len(pending)

    def next_after(self, qid: str, answers: Mapping[str, Any]) -> str | None:
        """The first question after `qid` that these answers show, or None when `qid` was the last."""
        later = self.order[self.order.index(qid) + 1 :]
        return next((q for q in later if self.shown(q, answers)), None)

    def is_last(self, qid: str, answers: Mapping[str, Any]) -> bool:
        """Whether no screen can follow `qid`, whatever is answered on it (for a 'Send' rather than 'Next' button)."""
        later = self.order[self.order.index(qid) + 1 :]
        for other in later:
            condition = self.compiled.by_id[other].condition
            if condition is None or condition.question == qid or self.shown(other, answers):
                return False
        return True

    def previous_before(self, qid: str, answers: Mapping[str, Any]) -> str | None:
        earlier = self.order[: self.order.index(qid)]
        return next((q for q in reversed(earlier) if self.shown(q, answers)), None)

    def first_open(self, answers: Mapping[str, Any]) -> str | None:
        """The first shown question without an answer, or None when every shown question is answered."""
        return next((q for q in self.visible(answers) if q not in answers), None)

    def without_hidden(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers whose questions are still shown (a changed score can hide an earlier follow-up)."""
        kept: dict[str, Any] = {}
        for qid in self.order:  # in order: a condition only looks at earlier questions
            if qid in answers and self.shown(qid, kept):
                kept[qid] = answers[qid]
        return kept

    def screen(self, qid: str, answers: Mapping[str, Any], *, locale: str, default_locale: str) -> Screen:
        spec = self.specs[qid]
        kind = spec["kind"]
        values: list[int] = []
        if kind in rules.NUMERIC_KINDS:
            low, high = rules.score_range(kind, spec.get("scale"))
            values = list(range(low, high + 1))
        return Screen(
            id=qid,
            kind=kind,
            text=rules.localized_text(spec["text"], locale, default_locale),
            required=bool(spec.get("required", False)),
            options=[
                (o["key"], rules.localized_text(o["text"], locale, default_locale)) for o in spec.get("options") or []
            ],
            values=values,
            number=self.visible(answers).index(qid) + 1 if self.shown(qid, answers) else 1,
            total=self.expected_count(answers),
        )

    def locales(self) -> list[str]:
        """Every locale some question text is written in."""
        found: dict[str, None] = {}
        for spec in self.specs.values():
            found.update(dict.fromkeys(spec["text"]))
        return list(found)

    def kiosk_problem(self) -> str | None:
        """Why this survey cannot run on a kiosk, or None: its first question must be csat, or a 5-point rating."""
        first = self.specs[self.order[0]] if self.order else None
        if first is None or first["kind"] not in SCORE_FIRST_KINDS:
            return "its first question is not a CSAT or rating question"
        low, high = rules.score_range(first["kind"], first.get("scale"))
        if high - low + 1 != KIOSK_POINTS:
            return "its first question is not on a 5-point scale (a kiosk shows five faces)"
        for qid in self.order[1:]:
            if self.specs[qid].get("required") and self.specs[qid]["kind"] != QuestionKind.text:
                return f"question '{qid}' is required, and a kiosk asks only the score and a comment"
        return None

    def kiosk_comment_after(self, answers: Mapping[str, Any]) -> str | None:
        """The open question a kiosk asks after the score: the first text question these answers show."""
        return next((q for q in self.visible(answers) if self.specs[q]["kind"] == QuestionKind.text), None)


def page_locale(wanted: Sequence[str | None], available: Sequence[str], default_locale: str) -> str:
    """The first wanted locale the survey is written in (exact, then by language), else the default locale."""
    for locale in wanted:
        if not locale:
            continue
        if locale in available:
            return locale
        language = locale.split("-", 1)[0].lower()
        match = next((a for a in available if a.split("-", 1)[0].lower() == language), None)
        if match is not None:
            return match
    return default_locale


def accepted_languages(header: str | None, *, limit: int = 8) -> list[str]:
    """The locales of an Accept-Language header, most preferred first ('de-CH, de;q=0.9, en;q=0.5')."""
    weighted: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")[:limit]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, i, tag))
    return [tag for _, _, tag in sorted(weighted)]


def parse_answer(spec: Mapping[str, Any], values: Sequence[str]) -> Any:
    """The answer a form gave to one question, typed for the service: int, option key(s) or text; None if blank.

    AnswerProblem when the value cannot be an answer (its message names a wording key)."""
    kind = spec["kind"]
    given = [v.strip() for v in values if v.strip()]
    if kind in rules.NUMERIC_KINDS:
        if not given:
            return None
        low, high = rules.score_range(kind, spec.get("scale"))
        raw = given[0]
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and low <= int(raw) <= high):
            raise AnswerProblem("choose_score")
        return int(raw)
    keys = [o["key"] for o in spec.get("options") or []]
    if kind == QuestionKind.single_choice:
        if not given:
            return None
        if given[0] not in keys:
            raise AnswerProblem("choose_option")
        return given[0]
    if kind == QuestionKind.multiple_choice:
        if any(v not in keys for v in given):
            raise AnswerProblem("choose_option")
        return list(dict.fromkeys(given)) or None
    text = "\n".join(given)
    if len(text) > rules.MAX_TEXT_LENGTH:
        raise AnswerProblem("text_too_long")
    return text or None


@dataclass(frozen=True)
class Step:
    """What one posted screen changes: the answers to record, the next screen (None: the survey is done), or the
    wording key of the problem to show on the same screen."""

    answers: dict[str, Any]
    next_question: str | None
    error: str | None = None
    value: Any = None  # the parsed answer, to show again with an error


def apply_form(flow: Flow, stored: Mapping[str, Any], qid: str, values: Sequence[str], *, skip: bool) -> Step:
    """The outcome of posting screen `qid` with these form values on top of the stored answers.

    Answers to follow-ups that a changed score hides are sent as None, which removes them from the response (the
    service would otherwise refuse them as "not shown")."""
    spec = flow.specs[qid]
    required = bool(spec.get("required", False))
    try:
        value = None if skip else parse_answer(spec, values)
    except AnswerProblem as problem:
        return Step({}, qid, error=str(problem))
    if value is None and required and qid not in stored:
        return Step({}, qid, error="required")
    merged = dict(stored)
    if value is not None:
        merged[qid] = value
    kept = flow.without_hidden(merged)
    changes: dict[str, Any] = {qid: value} if value is not None else {}
    changes.update({gone: None for gone in stored if gone not in kept})
    return Step(changes, flow.next_after(qid, kept), value=value)


def redisplay(flow: Flow, qid: str, values: Sequence[str]) -> Any:
    """The posted values in the shape the screen shows as current, so a refused answer is not lost (text above all)."""
    kind = flow.specs[qid]["kind"]
    if kind == QuestionKind.multiple_choice:
        return list(values)
    first = values[0] if values else None
    if kind in rules.NUMERIC_KINDS:
        return int(first) if first and first.isascii() and first.isdigit() and len(first) <= 3 else None
    return first
