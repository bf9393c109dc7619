"""Survey questions as the widget shows them: one at a time, in the visitor's locale, follow-ups by condition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxloop.channels.widget.schemas import QuestionRead
from cxloop.surveys import rules
from cxloop.surveys.enums import QuestionKind


def _read(spec: Mapping[str, Any], locale: str | None, default_locale: str) -> QuestionRead:
    kind = spec["kind"]
    low = high = None
    if kind in rules.NUMERIC_KINDS:
        low, high = rules.score_range(kind, spec.get("scale"))
    return QuestionRead(
        id=spec["id"],
        kind=kind,
        text=rules.localized_text(spec["text"], locale, default_locale),
        required=bool(spec.get("required", False)),
        min=low,
        max=high,
        options=[
            {"key": o["key"], "text": rules.localized_text(o["text"], locale, default_locale)}
            for o in spec.get("options") or []
        ],
    )


def _shown(spec: Mapping[str, Any], compiled: rules.CompiledSurvey, answers: Mapping[str, Any]) -> bool:
    condition = compiled.by_id[spec["id"]].condition
    return condition is None or (condition.question in answers and condition.test(answers[condition.question]))


def next_question(
    definition: Mapping[str, Any],
    answers: Mapping[str, Any],
    *,
    after: str | None,
    locale: str | None,
    default_locale: str,
) -> QuestionRead | None:
    """The first question after `after` (None: from the start) shown for these answers; None when done."""
    specs = list(definition.get("questions") or [])
    compiled = rules.compile_definition(definition)
    start = 0
    if after is not None:
        ids = [spec["id"] for spec in specs]
        start = ids.index(after) + 1 if after in ids else len(specs)
    for spec in specs[start:]:
        if _shown(spec, compiled, answers):
            return _read(spec, locale, default_locale)
    return None


def score_question(definition: Mapping[str, Any], locale: str | None, default_locale: str) -> QuestionRead | None:
    """The first numeric question (what the feedback button's rating answers), or None."""
    for spec in definition.get("questions") or []:
        if spec["kind"] in rules.NUMERIC_KINDS:
            return _read(spec, locale, default_locale)
    return None


def comment_questions(definition: Mapping[str, Any], locale: str | None, default_locale: str) -> list[dict[str, Any]]:
    """The open questions with their conditions: the feedback form labels its comment box by the score given."""
    return [
        {
            "id": spec["id"],
            "text": rules.localized_text(spec["text"], locale, default_locale),
            "show_if": spec.get("show_if"),
        }
        for spec in definition.get("questions") or []
        if spec["kind"] == QuestionKind.text
    ]


def locale_of(definition: Mapping[str, Any], locale: str | None, default_locale: str) -> str:
    """The locale the survey is shown in: the visitor's if the survey speaks it (or its language), else the default."""
    if not locale:
        return default_locale
    spoken: set[str] = set()
    for spec in definition.get("questions") or []:
        spoken.update(spec["text"])
    if locale in spoken:
        return locale
    language = locale.split("-", 1)[0].lower()
    return next((s for s in sorted(spoken) if s.split("-", 1)[0].lower() == language), default_locale)


def conditional_questions(
    definition: Mapping[str, Any], locale: str | None, default_locale: str
) -> list[dict[str, Any]]:
    """Every question as the widget shows it, with its condition (`show_if`, null: always): what widget.js's preview
    mode walks through, since it asks no server for the next question."""
    return [
        {"question": _read(spec, locale, default_locale).model_dump(), "show_if": spec.get("show_if")}
        for spec in definition.get("questions") or []
    ]
