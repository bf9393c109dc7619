from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from cxloop.core.clock import JsonDateTime
from cxloop.text.enums import ItemKind, SentimentLabel

MAX_TEXT_CHARS = 20_000  # longer texts are refused on demand, and analysed up to this length in the worker


class AnalyseRequest(BaseModel):
    """A text to analyse now; nothing is stored."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The text, 1 to 20,000 characters.")

    @field_validator("text")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the text is empty (only spaces)")
        if "\x00" in value:
            raise ValueError("the text holds a NUL character")
        return value


class SentimentRead(BaseModel):
    label: SentimentLabel
    score: float = Field(ge=-1, le=1, description="From -1 (most negative) to 1 (most positive).")


class TextResult(BaseModel):
    """What the enrichment finds in one text. `masked_text` has personal data replaced by [EMAIL], [PHONE], ...;
    `pii` counts what was masked, by kind; `model` names what gave the sentiment."""

    language: str | None = Field(description="ISO 639-1 code, or null when the text is too short to tell.")
    sentiment: SentimentRead
    key_phrases: list[str]
    masked_text: str
    pii: dict[str, int]
    model: str


class AnalysisRead(TextResult):
    """The stored analysis of an item's text. `text` is the original text for analysts and admins, and the masked
    text for viewers and agents."""

    item_kind: ItemKind
    item_id: int
    field: str
    text: str
    analysed_at: JsonDateTime


class SentimentModelRead(BaseModel):
    """One fit of the learned sentiment model: cross-validated macro-F1 of each learned kind (`f1_learned`: TF-IDF;
    `f1_minilm`: on MiniLM sentence embeddings, null when not tried) and of the day-one model, same folds. `kind` is
    the better learned kind, the one stored; `chosen` when it beat the day-one model."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    kind: str
    trained_at: JsonDateTime
    n_train: int
    labels: dict[str, int]
    folds: int
    f1_learned: float
    f1_day_one: float
    f1_learned_binary: float
    f1_day_one_binary: float
    f1_minilm: float | None
    f1_minilm_binary: float | None
    chosen: bool
    rescored: int


class SentimentStatus(BaseModel):
    """Which sentiment model scores comments now, and the latest fit (null before the first `cxloop text learn`)."""

    in_use: str
    latest: SentimentModelRead | None
    labelled_comments: int
