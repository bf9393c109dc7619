from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from cxloop.surveys import rules
from cxloop.surveys.enums import QuestionKind, SurveyStatus

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Locale = Annotated[str, StringConstraints(pattern=LOCALE_PATTERN, max_length=16)]
Wording = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
# locale -> wording; at least the survey's default locale
Texts = Annotated[dict[Locale, Wording], Field(min_length=1)]


def _raise(title: str, problems: list[tuple[tuple[str | int, ...], str]], value: Any) -> None:
    """Raise one ValidationError whose errors point at the exact nested fields."""
    raise ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type=PydanticCustomError("survey_rule", message), loc=loc, input=value)
            for loc, message in problems
        ],
    )


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChoiceOption(_Input):
    """One answer option of a choice question; `key` is what answers store."""

    key: Slug
    text: Texts


class Condition(_Input):
    """Show a question only when an earlier answer passes this test, e.g. nps <= 6."""

    question: str
    op: Literal["<", "<=", ">", ">=", "==", "!=", "in"]
    value: StrictInt | str | list[StrictInt | str]


class QuestionDef(_Input):
    """One question: its kind decides which answers are valid (nps 0-10, csat 1-5, ces 1-7, rating 1..scale, ...)."""

    id: Slug
    kind: QuestionKind
    text: Texts
    required: bool = False
    options: list[ChoiceOption] = Field(default_factory=list, max_length=100)
    scale: int | None = Field(default=None, ge=2, le=10)
    show_if: Condition | None = None


class SurveyDefinition(_Input):
    """The questions of one survey version, in the order they are asked."""

    questions: list[QuestionDef] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check_questions(self) -> SurveyDefinition:
        problems = rules.definition_problems(self.to_document()["questions"])
        if problems:
            _raise("SurveyDefinition", problems, None)
        return self

    def to_document(self) -> dict[str, Any]:
        """The JSON stored in survey_versions.definition."""
        return self.model_dump(mode="json")

    def missing_locale(self, locale: str) -> list[tuple[tuple[str | int, ...], str]]:
        """Every text that has no wording in `locale` (the survey's default locale must always be present)."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        message = f"needs a wording in the survey's default locale '{locale}'"
        for i, question in enumerate(self.questions):
            if locale not in question.text:
                problems.append((("questions", i, "text"), message))
            for j, option in enumerate(question.options):
                if locale not in option.text:
                    problems.append((("questions", i, "options", j, "text"), message))
        return problems


class SurveyCreate(_Input):
    """A new survey; its definition becomes version 1."""

    key: Slug
    name: str = Field(min_length=1, max_length=200)
    status: SurveyStatus = SurveyStatus.draft
    default_locale: Locale = "en"
    definition: SurveyDefinition

    @model_validator(mode="after")
    def _check_default_locale(self) -> SurveyCreate:
        problems = self.definition.missing_locale(self.default_locale)
        if problems:
            _raise("SurveyCreate", [(("definition", *loc), message) for loc, message in problems], None)
        return self


class SurveyUpdate(_Input):
    """Fields to change; a definition that differs from the current one becomes a new version."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: SurveyStatus | None = None
    default_locale: Locale | None = None
    definition: SurveyDefinition | None = None


class SurveyRead(BaseModel):
    """A survey with the definition of its current version."""

    id: int
    key: str
    name: str
    status: SurveyStatus
    default_locale: str
    current_version: int
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SurveyPage(BaseModel):
    items: list[SurveyRead]
    total: int
    limit: int
    offset: int


class SurveyVersionRead(BaseModel):
    """One immutable version of a survey's questions."""

    model_config = ConfigDict(from_attributes=True)

    survey_id: int
    version: int
    definition: dict[str, Any]
    created_at: datetime


class SurveyForm(BaseModel):
    """A survey version's questions with every text in one locale, ready to render."""

    survey_id: int
    key: str
    version: int
    locale: str
    questions: list[dict[str, Any]]


class SurveyTemplateRead(BaseModel):
    """A ready-made programme (relationship NPS, post-support CSAT, ...) to create a survey from."""

    key: str
    survey: SurveyCreate
