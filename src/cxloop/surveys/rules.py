"""Survey logic with no database: definition checks, answer validation and scoring, translations.

A definition is stored as plain JSON (`{"questions": [...]}`, see schemas.SurveyDefinition). `compile_definition`
turns it into a `CompiledSurvey` once, so validating each answer set afterwards costs a few microseconds: imports and
batches compile each survey version once and then call `CompiledSurvey.score` per row.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cxloop.core.errors import FieldError
from cxloop.surveys.enums import QuestionKind
from cxloop.surveys.scales import SCALES

MAX_TEXT_LENGTH = 10_000
DEFAULT_RATING_SCALE = 5
SCORE_KINDS = (QuestionKind.nps, QuestionKind.csat, QuestionKind.ces)
CHOICE_KINDS = (QuestionKind.single_choice, QuestionKind.multiple_choice)
NUMERIC_KINDS = (*SCORE_KINDS, QuestionKind.rating)
# Multiple-choice answers in flat files (CSV cells) list their option keys separated by this character.
CHOICE_SEPARATOR = "|"

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
ORDER_OPS = frozenset({"<", "<=", ">", ">="})


def score_range(kind: str, scale: int | None = None) -> tuple[int, int]:
    """The lowest and highest valid answer of a numeric question kind."""
    if kind == QuestionKind.rating:
        return 1, scale or DEFAULT_RATING_SCALE
    return SCALES[QuestionKind(kind).value]


# ---------------------------------------------------------------------------------------------------------------
# Definition checks (called by schemas.SurveyDefinition; locations are relative to the definition)


def definition_problems(questions: Sequence[Mapping[str, Any]]) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that span questions: unique ids, options only on choice questions, conditions on earlier answers."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[str, Mapping[str, Any]] = {}
    for i, question in enumerate(questions):
        here: tuple[str | int, ...] = ("questions", i)
        qid, kind = question["id"], question["kind"]
        if qid in seen:
            problems.append(((*here, "id"), f"question id '{qid}' is used twice"))
        options = question.get("options") or []
        if kind in CHOICE_KINDS:
            if len(options) < 2:
                problems.append(((*here, "options"), "a choice question needs at least two options"))
            keys: set[str] = set()
            for j, option in enumerate(options):
                if option["key"] in keys:
                    problems.append(((*here, "options", j, "key"), f"option key '{option['key']}' is used twice"))
                keys.add(option["key"])
        elif options:
            problems.append(((*here, "options"), "only choice questions have options"))
        scale = question.get("scale")
        if scale is not None and kind != QuestionKind.rating:
            problems.append(((*here, "scale"), "only rating questions have a scale"))
        condition = question.get("show_if")
        if condition is not None:
            problems.extend(_condition_problems(condition, seen, (*here, "show_if")))
        seen.setdefault(qid, question)
    return problems


def _condition_problems(
    condition: Mapping[str, Any], earlier: Mapping[str, Mapping[str, Any]], here: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], str]]:
    target = earlier.get(condition["question"])
    if target is None:
        return [((*here, "question"), f"'{condition['question']}' is not an earlier question of this survey")]
    kind, op, value = target["kind"], condition["op"], condition["value"]
    if kind == QuestionKind.text:
        return [((*here, "question"), "a condition cannot test a text answer")]
    if op in ORDER_OPS and kind not in NUMERIC_KINDS:
        return [((*here, "op"), f"'{op}' needs a numeric question; use ==, != or in for choices")]
    values = value if op == "in" else [value]
    if op == "in" and (not isinstance(value, list) or not value):
        return [((*here, "value"), "'in' needs a non-empty list of values")]
    if op != "in" and isinstance(value, list):
        return [((*here, "value"), f"'{op}' compares with one value, not a list")]
    if kind in NUMERIC_KINDS:
        low, high = score_range(kind, target.get("scale"))
        if not all(_is_int(v) and low <= v <= high for v in values):
            return [((*here, "value"), f"must be a whole number from {low} to {high}")]
    else:
        keys = [o["key"] for o in target.get("options") or []]
        if not all(isinstance(v, str) and v in keys for v in values):
            return [((*here, "value"), f"must be an option key of '{condition['question']}': {', '.join(keys)}")]
    return []


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------------------------
# Answer validation


@dataclass(slots=True)
class ScoredAnswers:
    """The outcome of validating one answer set: derived scores, the cleaned answers, and every problem found.

    `nps`, `csat`, `ces` come from the first answered question of that kind; `comment` from the first answered text
    question. Error fields look like `answers.<question id>`, or `nps`/`csat`/`ces`/`comment` for the shortcuts.
    """

    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    comment: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)


class _Condition:
    __slots__ = ("describe", "question", "test")

    def __init__(self, spec: Mapping[str, Any], kind: str) -> None:
        self.question: str = spec["question"]
        op, value = spec["op"], spec["value"]
        self.describe = f"{self.question} {op} {value}"
        self.test: Callable[[Any], bool]
        if kind == QuestionKind.multiple_choice:
            chosen = frozenset(value) if op == "in" else frozenset([value])
            negate = op == "!="
            self.test = lambda answer: bool(chosen.intersection(answer)) != negate
        elif op == "in":
            allowed = frozenset(value)
            self.test = lambda answer: answer in allowed
        else:
            compare = _COMPARISONS[op]
            self.test = lambda answer: compare(answer, value)


class _Question:
    __slots__ = ("condition", "id", "kind", "parse", "required")

    def __init__(self, spec: Mapping[str, Any], condition: _Condition | None) -> None:
        self.id: str = spec["id"]
        self.kind = QuestionKind(spec["kind"])
        self.required: bool = bool(spec.get("required", False))
        self.condition = condition
        self.parse: Callable[[Any, bool], Any] = _parser(self.kind, spec)


def _parser(kind: QuestionKind, spec: Mapping[str, Any]) -> Callable[[Any, bool], Any]:
    """A function (raw answer, from_text) -> clean answer or None (unanswered); raises ValueError with a reason."""
    if kind in NUMERIC_KINDS:
        low, high = score_range(kind, spec.get("scale"))
        message = f"must be a whole number from {low} to {high}"

        def parse_number(raw: Any, from_text: bool) -> int | None:
            if from_text and isinstance(raw, str):
                raw = raw.strip()
                if not raw:
                    return None
                if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
                    raise ValueError(message)
                raw = int(raw)
            if raw.__class__ is not int or not low <= raw <= high:
                raise ValueError(message)
            return int(raw)

        return parse_number
    if kind in CHOICE_KINDS:
        keys = [o["key"] for o in spec.get("options") or []]
        allowed = frozenset(keys)
        listing = ", ".join(keys)
        if kind == QuestionKind.single_choice:

            def parse_choice(raw: Any, from_text: bool) -> str | None:
                if from_text and isinstance(raw, str):
                    raw = raw.strip() or None
                    if raw is None:
                        return None
                if not isinstance(raw, str) or raw not in allowed:
                    raise ValueError(f"must be one of: {listing}")
                return raw

            return parse_choice

        def parse_choices(raw: Any, from_text: bool) -> list[str] | None:
            if from_text and isinstance(raw, str):
                raw = [part.strip() for part in raw.split(CHOICE_SEPARATOR) if part.strip()]
            if not isinstance(raw, list):
                raise ValueError(f"must be a list of option keys ({listing})")
            if not raw:
                return None
            if not all(isinstance(k, str) and k in allowed for k in raw):
                raise ValueError(f"every choice must be one of: {listing}")
            if len(set(raw)) != len(raw):
                raise ValueError("lists the same option twice")
            return list(raw)

        return parse_choices

    def parse_text(raw: Any, from_text: bool) -> str | None:  # noqa: ARG001
        if not isinstance(raw, str):
            raise ValueError("must be text")
        text = raw.strip()
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"is longer than {MAX_TEXT_LENGTH:,} characters")
        if "\x00" in text:
            raise ValueError("must not contain NUL characters")
        return text or None

    return parse_text


class CompiledSurvey:
    """A survey version's questions, prepared for validating many answer sets quickly."""

    __slots__ = ("by_id", "checked", "first_of_kind", "ids_of_kind", "questions", "text_ids")

    def __init__(self, definition: Mapping[str, Any]) -> None:
        specs: list[Mapping[str, Any]] = list(definition.get("questions") or [])
        kinds = {spec["id"]: spec["kind"] for spec in specs}
        self.questions: list[_Question] = []
        for spec in specs:
            condition = spec.get("show_if")
            compiled = _Condition(condition, kinds[condition["question"]]) if condition else None
            self.questions.append(_Question(spec, compiled))
        self.by_id = {q.id: q for q in self.questions}
        self.ids_of_kind: dict[str, list[str]] = {}
        for q in self.questions:
            self.ids_of_kind.setdefault(q.kind, []).append(q.id)
        self.first_of_kind = {kind: self.by_id[ids[0]] for kind, ids in self.ids_of_kind.items()}
        self.text_ids = self.ids_of_kind.get(QuestionKind.text, [])
        # Only these need a look once the answers are parsed: the others are valid wherever they are answered.
        self.checked = [q for q in self.questions if q.condition is not None or q.required]

    def score(
        self,
        answers: Mapping[str, Any],
        *,
        nps: int | None = None,
        csat: int | None = None,
        ces: int | None = None,
        comment: str | None = None,
        partial: bool = False,
        from_text: bool = False,
    ) -> ScoredAnswers:
        """Validate one answer set; `from_text` parses answers given as text (CSV cells: '7', 'a|b')."""
        errors: list[FieldError] = []
        clean: dict[str, Any] = {}
        invalid: set[str] = set()  # answered, but badly: "is required" would only repeat the problem
        by_id = self.by_id
        for qid, raw in answers.items():
            if raw is None:
                continue
            question = by_id.get(qid)
            if question is None:
                errors.append(FieldError(f"answers.{qid}", f"the survey has no question '{qid}'"))
                continue
            try:
                value = question.parse(raw, from_text)
            except ValueError as exc:
                errors.append(FieldError(f"answers.{qid}", str(exc)))
                invalid.add(qid)
                continue
            if value is not None:
                clean[qid] = value
        if nps is not None:
            self._fill_score("nps", QuestionKind.nps, nps, clean, errors, invalid)
        if csat is not None:
            self._fill_score("csat", QuestionKind.csat, csat, clean, errors, invalid)
        if ces is not None:
            self._fill_score("ces", QuestionKind.ces, ces, clean, errors, invalid)
        fill_comment = self._comment_to_fill(comment, clean, errors) if comment is not None else None
        for question in self.questions if fill_comment is not None else self.checked:
            condition = question.condition
            if condition is not None and condition.question in invalid:
                # Whether it is shown depends on an answer already reported as bad: judging it would only add
                # follow-on errors ("was not shown", "no open question is shown" for the comment).
                invalid.add(question.id)
                if fill_comment is not None and question.kind == QuestionKind.text:
                    fill_comment = None
                continue
            if condition is not None and not (
                condition.question in clean and condition.test(clean[condition.question])
            ):
                if question.id in clean:
                    del clean[question.id]
                    message = f"was not shown: it is asked only when {condition.describe}"
                    errors.append(FieldError(f"answers.{question.id}", message))
                continue
            if fill_comment is not None and question.kind == QuestionKind.text:
                clean[question.id] = fill_comment
                fill_comment = None
            if question.required and question.id not in clean and not partial and question.id not in invalid:
                errors.append(FieldError(f"answers.{question.id}", "is required"))
        if fill_comment is not None:
            errors.append(FieldError("comment", "no open (text) question is shown for these answers"))
        if not clean and not errors and not partial:
            errors.append(FieldError("answers", "at least one question must be answered"))
        kinds = self.ids_of_kind
        return ScoredAnswers(
            nps=_first(kinds.get(QuestionKind.nps), clean),
            csat=_first(kinds.get(QuestionKind.csat), clean),
            ces=_first(kinds.get(QuestionKind.ces), clean),
            comment=_first(self.text_ids, clean),
            errors=errors,
            answers=clean,
        )

    def _fill_score(
        self,
        name: str,
        kind: QuestionKind,
        value: Any,
        clean: dict[str, Any],
        errors: list[FieldError],
        invalid: set[str],
    ) -> None:
        target = self.first_of_kind.get(kind)
        if target is None:
            errors.append(FieldError(name, f"the survey has no {name.upper()} question"))
            return
        try:
            parsed = target.parse(value, False)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
            invalid.add(target.id)
            return
        answered = next((qid for qid in self.ids_of_kind[kind] if qid in clean), None)
        if answered is None:
            clean[target.id] = parsed
        elif clean[answered] != parsed:
            errors.append(FieldError(name, f"conflicts with answers.{answered} ({clean[answered]})"))

    def _comment_to_fill(self, comment: str, clean: dict[str, Any], errors: list[FieldError]) -> str | None:
        """The comment text still to be placed in the first shown text question, or None."""
        if not self.text_ids:
            errors.append(FieldError("comment", "the survey has no open (text) question"))
            return None
        try:
            text = self.by_id[self.text_ids[0]].parse(comment, False)
        except ValueError as exc:
            errors.append(FieldError("comment", str(exc)))
            return None
        if text is None:
            return None
        answered = next((qid for qid in self.text_ids if qid in clean), None)
        if answered is None:
            return str(text)
        if clean[answered] != text:
            errors.append(FieldError("comment", f"conflicts with answers.{answered}"))
        return None


def _first(ids: list[str] | None, clean: dict[str, Any]) -> Any:
    """The answer to the first of `ids` that was answered (and shown), or None."""
    if ids:
        for qid in ids:
            if qid in clean:
                return clean[qid]
    return None


def compile_definition(definition: Mapping[str, Any]) -> CompiledSurvey:
    """Prepare a stored (already validated) definition for validating many answer sets."""
    return CompiledSurvey(definition)


def score_answers(
    definition: Mapping[str, Any],
    answers: Mapping[str, Any],
    *,
    nps: int | None = None,
    csat: int | None = None,
    ces: int | None = None,
    comment: str | None = None,
    partial: bool = False,
) -> ScoredAnswers:
    """Validate answers against a survey version and derive nps/csat/ces/comment (compile once for many rows)."""
    return CompiledSurvey(definition).score(answers, nps=nps, csat=csat, ces=ces, comment=comment, partial=partial)


# ---------------------------------------------------------------------------------------------------------------
# Translations


def localized_text(texts: Mapping[str, str], locale: str | None, default_locale: str) -> str:
    """The wording for `locale`: exact match, then its language ('pt' for 'pt-BR'), then the default locale."""
    if locale:
        if locale in texts:
            return texts[locale]
        language = locale.split("-", 1)[0].lower()
        if language in texts:
            return texts[language]
        for key, text in texts.items():
            if key.split("-", 1)[0].lower() == language:
                return text
    if default_locale in texts:
        return texts[default_locale]
    return next(iter(texts.values()), "")


def localize_questions(definition: Mapping[str, Any], locale: str | None, default_locale: str) -> list[dict[str, Any]]:
    """The questions with every text resolved to one locale (for rendering a form)."""
    questions: list[dict[str, Any]] = []
    for spec in definition.get("questions") or []:
        question = {k: v for k, v in spec.items() if k not in ("text", "options")}
        question["text"] = localized_text(spec["text"], locale, default_locale)
        question["options"] = [
            {"key": o["key"], "text": localized_text(o["text"], locale, default_locale)}
            for o in spec.get("options") or []
        ]
        questions.append(question)
    return questions
