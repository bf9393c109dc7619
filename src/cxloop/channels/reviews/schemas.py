"""Pydantic I/O for review and social items."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from cxloop.core.clock import JsonDateTime

MAX_BATCH = 1000
RATING_SCALES = (5, 10)

Source = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]


class ReviewKind(StrEnum):
    """A rated review on a review site or store, or a post on a social network."""

    review = "review"
    social_post = "social_post"


class ReviewCreate(BaseModel):
    """One review or social post. `(source, external_id)` is its dedupe key."""

    model_config = ConfigDict(extra="forbid")

    source: Source = Field(description="where it was posted, e.g. 'trustpilot', 'g2', 'google', 'twitter'")
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        description="the site's id for the item; a resend with the same one is stored once"
    )
    kind: ReviewKind = ReviewKind.review
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]
    title: str | None = Field(default=None, max_length=1000)
    # Before `rating`, so the rating's check can see the scale.
    rating_scale: int = Field(
        default=5,
        description="5 (stars) or 10 (mapped to 1-5 as ceil(rating / 2))",
        json_schema_extra={"enum": list(RATING_SCALES)},
    )
    # The bounds are checked with the scale below (CSV imports read this model too, so the int is not strict).
    rating: Annotated[int, Field(json_schema_extra={"minimum": 1, "maximum": max(RATING_SCALES)})] | None = Field(
        default=None, description="1 to rating_scale; stored on the 1-5 scale"
    )
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    author: str | None = Field(default=None, max_length=300, description="the author's handle or display name")
    author_email: str | None = Field(default=None, max_length=320)
    customer_external_id: str | None = Field(default=None, min_length=1, max_length=200)
    posted_at: JsonDateTime | None = Field(default=None, description="default: now")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("rating_scale")
    @classmethod
    def _known_scale(cls, value: int) -> int:
        if value not in RATING_SCALES:
            raise PydanticCustomError("rating_scale", "must be 5 or 10")
        return value

    @field_validator("rating")
    @classmethod
    def _on_its_scale(cls, value: int | None, info: ValidationInfo) -> int | None:
        scale = info.data.get("rating_scale", 5)
        if value is not None and not 1 <= value <= scale:
            raise PydanticCustomError("rating", "must be a whole number from 1 to {scale}", {"scale": scale})
        return value

    def five_point_rating(self) -> int | None:
        """The rating on cxloop's 1-5 scale (10-point: 1-2 -> 1, 3-4 -> 2, ..., 9-10 -> 5)."""
        if self.rating is None:
            return None
        return self.rating if self.rating_scale == 5 else math.ceil(self.rating / 2)


class ReviewBatch(BaseModel):
    """Up to 1,000 items, stored all together or not at all."""

    model_config = ConfigDict(extra="forbid")

    items: list[ReviewCreate] = Field(min_length=1, max_length=MAX_BATCH)
