from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from cxloop.core.clock import JsonDateTime
from cxloop.core.int_bounds import JsonInt, JsonVersion
from cxloop.surveys import rules
from cxloop.surveys.enums import QuestionKind, ResponseLimit, SurveyStatus

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
    value: JsonInt | str | list[JsonInt | str]


class QuestionDef(_Input):
    """One question: its kind decides which answers are valid (nps 0-10, csat 1-5, ces 1-7, rating 1..scale, ...)."""

    id: Slug
    kind: QuestionKind
    text: Texts
    required: bool = False
    options: list[ChoiceOption] = Field(default_factory=list, max_length=100)
    scale: StrictInt | None = Field(default=None, ge=2, le=10)
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


class _Window(_Input):
    """When a survey collects (surveys/lifecycle.py) and how often its invitations may reach a customer."""

    opens_at: AwareDatetime | None = None  # a scheduled survey goes live at this instant
    closes_at: AwareDatetime | None = None  # public channels stop accepting responses at this instant
    max_responses: JsonVersion | None = Field(default=None)  # ... or once the survey has this many
    response_limit: ResponseLimit | None = None  # how often a customer may answer; default once
    response_period_days: StrictInt | None = Field(default=None, ge=1, le=3650)  # the period of `per_period`
    resurvey_days: StrictInt | None = Field(default=None, ge=0, le=3650)  # min days between invitations to this survey
    reminder_after_days: StrictInt | None = Field(default=None, ge=1, le=60)  # one reminder to non-responders
    invitation_ttl_days: StrictInt | None = Field(default=None, ge=1, le=365)  # invitation links expire after this

    @model_validator(mode="after")
    def _check_window(self) -> _Window:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            _raise("Survey", [(("closes_at",), "must be after opens_at")], self.closes_at)
        if self.response_limit == ResponseLimit.per_period and self.response_period_days is None:
            _raise("Survey", [(("response_period_days",), "required when response_limit is per_period")], None)
        return self


class SurveyCreate(_Window):
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
        if self.status == SurveyStatus.scheduled and self.opens_at is None:
            _raise("SurveyCreate", [(("opens_at",), "is required for a scheduled survey")], None)
        return self


class SurveyUpdate(_Window):
    """Fields to change; a definition that differs from the current one becomes a new version."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: SurveyStatus | None = None
    default_locale: Locale | None = None
    definition: SurveyDefinition | None = None
    # With `reminder_after_days` turning reminders on: also remind the invitations sent before now (default: only
    # invitations sent from now on get a reminder, so turning reminders on never sends a burst).
    remind_earlier_invitations: bool = False


class SurveyRead(BaseModel):
    """A survey with the definition of its current version."""

    id: int
    key: str
    name: str
    status: SurveyStatus
    default_locale: str
    current_version: int
    definition: dict[str, Any]
    opens_at: JsonDateTime | None
    closes_at: JsonDateTime | None
    max_responses: int | None
    response_limit: ResponseLimit
    response_period_days: int | None
    resurvey_days: int
    reminder_after_days: int | None
    reminders_since: JsonDateTime | None = None  # reminders go to invitations sent from then on (None: all)
    invitation_ttl_days: int
    created_at: JsonDateTime
    updated_at: JsonDateTime


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
    created_at: JsonDateTime


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
