"""Branding in the API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cxloop.branding import rules

Colour = Annotated[str, Field(max_length=7, examples=["#0b57d0"]), AfterValidator(rules.normalise_colour)]
# Shown in subjects, headers and SMS: one line of printable text.
Name = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$")]


class BrandingUpdate(BaseModel):
    """Fields to change; a field sent as null is cleared, one not sent is kept."""

    model_config = ConfigDict(extra="forbid")

    organisation_name: Name | None = Field(None, description="who is asking: shown on pages, in emails and SMS")
    sender_name: Name | None = Field(None, description="the From name of emails (default: the organisation name)")
    primary_colour: Colour | None = Field(None, description="buttons, links and selected answers")


class BrandingRead(BaseModel):
    organisation_name: str | None
    sender_name: str | None
    primary_colour: str | None
    logo_url: str | None = Field(description="where customers' browsers and mail clients load the logo")
    warnings: list[str] = Field(description="e.g. a colour too pale to be seen on the white page")
