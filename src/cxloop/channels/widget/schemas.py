"""The widget's wire shapes: site management (/api/v1/widget-sites) and the public /widget/v1 endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StringConstraints

from cxloop.core.clock import JsonDateTime
from cxloop.customers.schemas import Attributes, ExternalId, Locale

# An origin as the browser sends it: scheme://host[:port], no path; or '*' for any.
Origin = Annotated[str, StringConstraints(pattern=r"^(\*|https?://[^/\s]+)$", max_length=300)]
SurveyKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
EventName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SiteKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
VisitorId = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PromptRuleSpec(_Input):
    """When to offer a survey: all the conditions given must hold."""

    survey: SurveyKey = Field(description="the survey's key")
    url_match: str | None = Field(
        default=None,
        max_length=500,
        description="a glob over the page path, e.g. '/checkout/*' ('*' matches anything); none: every page",
    )
    event: EventName | None = Field(default=None, description="show on cxloop.track(event) only")
    seconds_on_page: StrictInt = Field(default=0, ge=0, le=86_400, description="show after this long on the page")
    sampling_rate: StrictFloat = Field(default=1.0, gt=0, le=1, description="the share of visitors to ask (stable)")


class SiteCreate(_Input):
    name: str = Field(min_length=1, max_length=200)
    channel: Literal["web", "in_app"] = "web"
    allowed_origins: list[Origin] = Field(min_length=1, max_length=50)
    feedback_survey: SurveyKey | None = Field(default=None, description="the survey the feedback button answers")
    anonymous_cap_days: StrictInt = Field(default=30, ge=0, le=3650)
    anonymous_sampling_rate: StrictFloat = Field(default=1.0, gt=0, le=1)
    enabled: StrictBool = Field(default=True, description="false: the script shows nothing, as for an unknown key")
    rules: list[PromptRuleSpec] = Field(default_factory=list, max_length=50)


class SiteUpdate(_Input):
    """Fields not sent are left unchanged; `rules`, when sent, replaces every rule."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    channel: Literal["web", "in_app"] | None = None
    allowed_origins: list[Origin] | None = Field(default=None, min_length=1, max_length=50)
    feedback_survey: SurveyKey | None = None
    anonymous_cap_days: StrictInt | None = Field(default=None, ge=0, le=3650)
    anonymous_sampling_rate: StrictFloat | None = Field(default=None, gt=0, le=1)
    enabled: StrictBool | None = None
    rules: list[PromptRuleSpec] | None = Field(default=None, max_length=50)


class PromptRuleRead(BaseModel):
    id: int
    survey: str
    url_match: str | None
    event: str | None
    seconds_on_page: int
    sampling_rate: float


class SiteRead(BaseModel):
    id: int
    key: str = Field(description="the public site key of the embed script")
    name: str
    channel: str
    allowed_origins: list[str]
    feedback_survey: str | None
    anonymous_cap_days: int
    anonymous_sampling_rate: float
    enabled: bool
    rules: list[PromptRuleRead]
    embed: str = Field(description="the script tag to paste into the site's pages")
    created_at: JsonDateTime
    updated_at: JsonDateTime


class SitePage(BaseModel):
    items: list[SiteRead]
    total: int


# ---------------------------------------------------------------------------------------------------------------
# Public endpoints


class DecideRequest(_Input):
    """'May I show a prompt?' The browser asks on page load (after each rule's delay) and on cxloop.track()."""

    site_key: SiteKey
    customer: ExternalId | None = Field(default=None, description="set by cxloop.identify")
    visitor: VisitorId | None = Field(default=None, description="the anonymous visitor id kept in the browser")
    url: str = Field(min_length=1, max_length=2000)
    event: EventName | None = None
    seconds_on_page: int = Field(default=0, ge=0)
    locale: str | None = Field(default=None, max_length=35)
    last_prompted_at: JsonDateTime | None = Field(default=None, description="when this browser last showed a prompt")


class QuestionRead(BaseModel):
    """One question in the visitor's locale."""

    id: str
    kind: str
    text: str
    required: bool = False
    min: int | None = None
    max: int | None = None
    options: list[dict[str, str]] = Field(default_factory=list)


class Prompt(BaseModel):
    token: str = Field(description="send it back with the answers")
    survey: str
    locale: str
    question: QuestionRead


class Decision(BaseModel):
    show: bool
    reason: str | None = Field(default=None, description="why not, when show is false")
    prompt: Prompt | None = None


class AnswerRequest(_Input):
    """One screen's answer to the question `question` (null skips it) of the prompt `token` (from decide); later
    screens of an anonymous prompt also send the `response_token` the first answer returned. Whose answer it is
    follows from the token: an identified customer's prompt token is their invitation's."""

    site_key: SiteKey
    token: str | None = Field(default=None, max_length=100)
    response_token: str | None = Field(default=None, max_length=100)
    question: str = Field(min_length=1, max_length=100)
    answer: Any = None
    url: str | None = Field(default=None, max_length=2000)
    locale: str | None = Field(default=None, max_length=35)


class AnswerRead(BaseModel):
    response_id: int | None = Field(description="null when nothing was stored (the first question skipped)")
    response_token: str | None = Field(description="send it with the next screen's answer")
    next: QuestionRead | None = Field(description="the next question to show; null when the survey is done")


class FeedbackConfig(BaseModel):
    """What the feedback button asks: a score and a comment whose wording may depend on the score."""

    survey: str
    score: QuestionRead | None
    comments: list[dict[str, Any]] = Field(description="text questions: {id, text, show_if}")


class WidgetBrand(BaseModel):
    """The organisation's branding as the widget shows it."""

    organisation_name: str | None
    colour: str = Field(description="buttons and the chosen score, e.g. #0b57d0")
    text_colour: str = Field(description="text on `colour` (white or near-black, whichever reads better)")


class WidgetConfig(BaseModel):
    """What the script needs at page load: when to ask the server (delays and event names, never the rules)."""

    channel: str
    delays: list[int]
    events: list[str]
    anonymous_cap_days: int
    feedback: FeedbackConfig | None
    brand: WidgetBrand | None = None


class FeedbackPayload(_Input):
    """The feedback button's form: a score and/or a comment, from an identified customer or not."""

    site_key: SiteKey
    score: int | None = None
    comment: str | None = Field(default=None, max_length=10_000)
    customer: ExternalId | None = None
    url: str | None = Field(default=None, max_length=2000)
    locale: str | None = Field(default=None, max_length=35)
    submission: VisitorId = Field(description="a random id per submission: a resend is stored once")


class FeedbackRead(BaseModel):
    response_id: int
    attachment: str | None


class IdentifyRequest(_Input):
    site_key: SiteKey
    customer: ExternalId
    attributes: Attributes = Field(default_factory=dict)
    locale: Locale | None = None
