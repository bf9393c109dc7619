"""The survey builder's form, both ways: a survey (or template) as the fields of the form, the posted fields back as
an unsaved draft, the draft's edits (add, remove, move a question) and the draft as the API's JSON body.

Nothing here validates a survey: `payload()` only turns text fields into the JSON the API takes, and the surveys
domain's own schemas and service judge it. `field_of` maps the location of each error they report to the form field
it belongs to, so the builder shows it next to that field.

Form fields: `name`, `key`, `default_locale`, `locales` (comma-separated), the window and frequency fields of
SurveyCreate, and per question i: `q{i}-id`, `q{i}-kind`, `q{i}-required`, `q{i}-scale`, `q{i}-text-{locale}`,
`q{i}-options-{locale}` (one option a line, `key: text`), `q{i}-if-question`, `q{i}-if-op`, `q{i}-if-value`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from cxloop.core.errors import CxloopError
from cxloop.surveys.enums import QuestionKind, ResponseLimit
from cxloop.surveys.schemas import SurveyCreate, SurveyRead

MAX_QUESTIONS = 200  # as SurveyDefinition allows
MAX_LOCALES = 8
WINDOW_NUMBERS = (
    "max_responses",
    "response_period_days",
    "resurvey_days",
    "reminder_after_days",
    "invitation_ttl_days",
)
WINDOW_TIMES = ("opens_at", "closes_at")
OPS = ("<", "<=", ">", ">=", "==", "!=", "in")
_SLUG = re.compile(r"[^a-z0-9]+")
_INTEGER = re.compile(r"-?\d{1,9}")


@dataclass
class QuestionDraft:
    """One question as the form holds it: every value a string, as typed."""

    id: str = ""
    kind: str = QuestionKind.text.value
    required: bool = False
    scale: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # locale -> wording
    options: dict[str, str] = field(default_factory=dict)  # locale -> "key: text" lines
    if_question: str = ""
    if_op: str = ""
    if_value: str = ""


@dataclass
class Draft:
    """An unsaved survey as the builder shows it."""

    key: str = ""
    name: str = ""
    default_locale: str = "en"
    locales: list[str] = field(default_factory=lambda: ["en"])
    questions: list[QuestionDraft] = field(default_factory=list)
    window: dict[str, str] = field(default_factory=dict)  # opens_at ... invitation_ttl_days, response_limit

    @property
    def question_ids(self) -> list[str]:
        return [q.id for q in self.questions]


def _lines(options: Sequence[Mapping[str, Any]], locale: str) -> str:
    return "\n".join(f"{o['key']}: {o['text'].get(locale, '')}" for o in options if locale in o["text"])


def _condition_value(value: object) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _question(spec: Mapping[str, Any], locales: Sequence[str]) -> QuestionDraft:
    condition = spec.get("show_if") or {}
    options = spec.get("options") or []
    return QuestionDraft(
        id=spec["id"],
        kind=str(spec["kind"]),
        required=bool(spec.get("required")),
        scale="" if spec.get("scale") is None else str(spec["scale"]),
        texts={locale: spec["text"][locale] for locale in locales if locale in spec["text"]},
        options={locale: _lines(options, locale) for locale in locales} if options else {},
        if_question=condition.get("question", ""),
        if_op=condition.get("op", ""),
        if_value=_condition_value(condition["value"]) if condition else "",
    )


def _locales_of(definition: Mapping[str, Any], default_locale: str) -> list[str]:
    found = {default_locale: None}
    for spec in definition.get("questions") or []:
        found.update(dict.fromkeys(spec["text"]))
    return list(found)[:MAX_LOCALES]


def _window_text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%dT%H:%M"))
    return str(value.value if hasattr(value, "value") else value)


def from_survey(survey: SurveyRead | SurveyCreate, *, key: str | None = None) -> Draft:
    """The form of a saved survey, or of a template (`key`: the key to offer for the new survey)."""
    definition = survey.definition if isinstance(survey, SurveyRead) else survey.definition.to_document()
    locales = _locales_of(definition, survey.default_locale)
    window = {name: _window_text(getattr(survey, name)) for name in (*WINDOW_TIMES, *WINDOW_NUMBERS)}
    window["response_limit"] = _window_text(survey.response_limit)
    return Draft(
        key=key if key is not None else survey.key,
        name=survey.name,
        default_locale=survey.default_locale,
        locales=locales,
        questions=[_question(spec, locales) for spec in definition.get("questions") or []],
        window=window,
    )


def blank() -> Draft:
    """A new survey with one NPS question, for a builder opened without a template."""
    return Draft(questions=[QuestionDraft(id="nps", kind=QuestionKind.nps.value, required=True, texts={"en": ""})])


def _split_locales(text: str, default_locale: str) -> list[str]:
    found = {default_locale: None}
    found.update(dict.fromkeys(part.strip() for part in text.replace(";", ",").split(",") if part.strip()))
    return list(found)[:MAX_LOCALES]


def from_form(form: Mapping[str, str], *, key: str | None = None) -> Draft:
    """The draft the posted form describes (`key`: a saved survey's, which the form does not carry)."""

    def text(name: str, limit: int = 2000) -> str:
        value = form.get(name)
        return value.strip()[:limit] if isinstance(value, str) else ""

    default_locale = text("default_locale", 16) or "en"
    locales = _split_locales(text("locales", 200), default_locale)
    count = sum(1 for name in form if re.fullmatch(r"q\d{1,3}-kind", name))
    questions = []
    for i in range(min(count, MAX_QUESTIONS)):
        here = f"q{i}-"
        questions.append(
            QuestionDraft(
                id=text(here + "id", 64),
                kind=text(here + "kind", 20),
                required=bool(text(here + "required", 5)),
                scale=text(here + "scale", 3),
                texts={loc: text(f"{here}text-{loc}") for loc in locales if text(f"{here}text-{loc}")},
                options={loc: text(f"{here}options-{loc}", 40_000) for loc in locales},
                if_question=text(here + "if-question", 64),
                if_op=text(here + "if-op", 2),
                if_value=text(here + "if-value", 2000),
            )
        )
    window = {name: text(name, 40) for name in (*WINDOW_TIMES, *WINDOW_NUMBERS, "response_limit")}
    return Draft(
        key=key if key is not None else text("key", 64),
        name=text("name", 200),
        default_locale=default_locale,
        locales=locales,
        questions=questions,
        window=window,
    )


def edit(draft: Draft, action: str, *, new_kind: str = "text") -> bool:
    """Apply an edit button (`add`, `remove:i`, `up:i`, `down:i`; anything else changes nothing); whether it was one."""
    verb, _, index = action.partition(":")
    questions = draft.questions
    if verb == "add" and len(questions) < MAX_QUESTIONS:
        kind = new_kind if new_kind in QuestionKind.__members__ else QuestionKind.text.value
        taken = set(draft.question_ids)
        stem = kind.replace("_", "-")
        names = (stem if n == 1 else f"{stem}-{n}" for n in range(1, MAX_QUESTIONS + 2))
        questions.append(QuestionDraft(id=next(name for name in names if name not in taken), kind=kind))
        return True
    if not index.isdigit() or not 0 <= int(index) < len(questions):
        return False
    i = int(index)
    if verb == "remove":
        del questions[i]
    elif verb == "up" and i > 0:
        questions[i - 1], questions[i] = questions[i], questions[i - 1]
    elif verb == "down" and i < len(questions) - 1:
        questions[i], questions[i + 1] = questions[i + 1], questions[i]
    else:
        return False
    return True


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:64] or "option"


def _options(question: QuestionDraft, locales: Sequence[str], default_locale: str) -> list[dict[str, Any]]:
    """Options from the default locale's lines (`key: text`, or just the text: its key is made from it); the other
    locales' lines name the same keys, or follow the same order."""
    found: list[dict[str, Any]] = []
    for line in question.options.get(default_locale, "").splitlines():
        key, colon, wording = line.partition(":")
        if line.strip():
            found.append(
                {
                    "key": key.strip() if colon else _slug(line),
                    "text": {default_locale: (wording if colon else line).strip()},
                }
            )
    by_key = {option["key"]: option for option in found}
    for locale in locales:
        if locale == default_locale:
            continue
        given = [line for line in question.options.get(locale, "").splitlines() if line.strip()]
        for position, line in enumerate(given):
            key, colon, wording = line.partition(":")
            option = by_key.get(key.strip()) if colon else (found[position] if position < len(found) else None)
            if option is not None and (wording if colon else line).strip():
                option["text"][locale] = (wording if colon else line).strip()
    return found


def _number(value: str) -> int | str:
    return int(value) if _INTEGER.fullmatch(value) else value


def _condition(question: QuestionDraft) -> dict[str, Any] | None:
    if not question.if_question:
        return None
    values = [_number(part.strip()) for part in question.if_value.split(",") if part.strip()]
    value: Any = values if question.if_op == "in" else (values[0] if len(values) == 1 else question.if_value)
    return {"question": question.if_question, "op": question.if_op or "==", "value": value}


def definition(draft: Draft) -> dict[str, Any]:
    """The draft's questions as a survey definition (unchecked)."""
    questions = []
    for question in draft.questions:
        spec: dict[str, Any] = {
            "id": question.id,
            "kind": question.kind,
            "text": {loc: question.texts[loc] for loc in draft.locales if question.texts.get(loc)},
            "required": question.required,
        }
        if question.kind in ("single_choice", "multiple_choice") or any(question.options.values()):
            spec["options"] = _options(question, draft.locales, draft.default_locale)
        if question.scale:
            spec["scale"] = _number(question.scale)
        condition = _condition(question)
        if condition is not None:
            spec["show_if"] = condition
        questions.append(spec)
    return {"questions": questions}


def payload(draft: Draft, *, new: bool) -> dict[str, Any]:
    """The JSON body of POST /api/v1/surveys (`new`) or PATCH /api/v1/surveys/{id} the draft stands for. Empty
    window fields clear their value (a new survey leaves them out)."""
    body: dict[str, Any] = {"name": draft.name, "default_locale": draft.default_locale, "definition": definition(draft)}
    if new:
        body["key"] = draft.key
    for name in WINDOW_NUMBERS:
        value = draft.window.get(name, "")
        if value or not new:
            body[name] = _number(value) if value else None
    for name in WINDOW_TIMES:
        value = draft.window.get(name, "")
        if value or not new:
            body[name] = (value if value.endswith("Z") or "+" in value[10:] else f"{value}Z") if value else None
    limit = draft.window.get("response_limit", "")
    if limit:
        body["response_limit"] = limit
    return body


_PATTERN_WORDS = {
    "key": "use lowercase letters, digits, '-' and '_' (up to 64, starting with a letter or digit)",
    "id": "use lowercase letters, digits, '-' and '_' (up to 64, starting with a letter or digit)",
    "default_locale": "a language code such as en, de or pt-BR",
}


def field_of(location: Sequence[str | int], default_locale: str) -> str:
    """The form field an error at this location of the JSON body belongs to ('form' when none does)."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[1:]
    if not parts:
        return "form"
    if parts[0] != "definition":
        return (
            str(parts[0])
            if parts[0] in (*WINDOW_NUMBERS, *WINDOW_TIMES, "response_limit", "name", "key", "default_locale")
            else "form"
        )
    rest = parts[1:]
    if len(rest) < 2 or rest[0] != "questions" or not isinstance(rest[1], int):
        return "questions"
    here, tail = f"q{rest[1]}-", rest[2:]
    if not tail:
        return here + "id"
    name = tail[0]
    if name == "text":
        return f"{here}text-{tail[1] if len(tail) > 1 else default_locale}"
    if name == "options":
        locale = tail[3] if len(tail) > 3 and tail[2] == "text" else None
        return f"{here}options-{locale or default_locale}"
    if name == "show_if":
        return here + "if-" + (str(tail[1]) if len(tail) > 1 and tail[1] in ("question", "op") else "value")
    return here + str(name)


def plain_words(kind: str, message: str, name: str) -> str:
    """A pydantic error message in the builder's words."""
    if kind == "string_pattern_mismatch":
        return _PATTERN_WORDS.get(
            name.rpartition("-")[2] if name.startswith("q") else name, "has characters it cannot have"
        )
    if kind in ("string_too_short", "too_short") and "questions" not in name:
        return "cannot be empty"
    if kind == "missing":
        return "is required"
    return message.removeprefix("Value error, ")


def validation_errors(exc: ValidationError, draft: Draft, *, prefix: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(form field, plain words) of each error the domain's schemas found in the draft's JSON."""
    found = []
    for error in exc.errors():
        name = field_of((*prefix, *error["loc"]), draft.default_locale)
        found.append((name, plain_words(error["type"], error["msg"], name)))
    return found


def domain_errors(exc: CxloopError, draft: Draft) -> list[tuple[str, str]]:
    """(form field, words) of each field the domain's service refused (`definition.questions.0.text.en`)."""
    if not exc.errors:
        return [("form", str(exc))]
    return [
        (field_of([int(p) if p.isdigit() else p for p in e.field.split(".")], draft.default_locale), e.message)
        for e in exc.errors
    ]


def shown_fields(draft: Draft) -> set[str]:
    """Every field name the builder's form shows for this draft."""
    names = {"key", "name", "default_locale", "locales", "questions", "response_limit", *WINDOW_NUMBERS, *WINDOW_TIMES}
    for i in range(len(draft.questions)):
        names.update(f"q{i}-{part}" for part in ("id", "kind", "required", "scale", "if-question", "if-op", "if-value"))
        names.update(f"q{i}-{part}-{locale}" for part in ("text", "options") for locale in draft.locales)
    return names


def group_errors(draft: Draft, errors: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """field -> its messages; errors of fields the form does not show go to 'form'."""
    shown = shown_fields(draft)
    grouped: dict[str, list[str]] = {}
    for name, message in errors:
        grouped.setdefault(name if name in shown else "form", []).append(message)
    return grouped


RESPONSE_LIMITS = [limit.value for limit in ResponseLimit]
KINDS = [kind.value for kind in QuestionKind]
