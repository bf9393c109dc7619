from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cxloop.access.enums import Role


class Principal(BaseModel):
    """Who is calling: resolved from an API key (or, later, a login session)."""

    model_config = ConfigDict(frozen=True)

    api_key_id: int | None = None
    user_id: int | None = None
    name: str
    role: Role


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Role


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """Returned once, at creation: `key` is never shown again."""

    key: str
