"""Privacy API shapes: exports, erasure requests and records, retention policies and runs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cxloop.core.clock import JsonDateTime
from cxloop.privacy.enums import RetentionAction


class CustomerExport(BaseModel):
    """Everything held about one person, by data holder and kind (each kind a list of rows)."""

    customer_id: int
    generated_at: JsonDateTime
    holders: dict[str, dict[str, list[dict[str, Any]]]]


class ErasureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: str = Field(min_length=1, max_length=320, description="cxloop id, external id or email")


class ErasureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int = Field(description="the id the erased customer had (it points at nothing now)")
    requested_by: str
    requested_at: JsonDateTime
    removed: dict[str, int]


class ErasurePage(BaseModel):
    items: list[ErasureRead]
    total: int
    limit: int
    offset: int


class RetentionPolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep_days: int = Field(ge=1, le=36_500)
    action: RetentionAction


class RetentionKindRead(BaseModel):
    """A data kind, the actions it allows and its policy (keep_days/action None: kept forever)."""

    kind: str
    description: str
    actions: list[RetentionAction]
    keep_days: int | None
    action: RetentionAction | None
    updated_at: JsonDateTime | None


class RetentionRunItem(BaseModel):
    kind: str
    action: RetentionAction
    keep_days: int
    cutoff: JsonDateTime
    rows: int = Field(description="rows (or files) touched, or that a dry run would touch")


class RetentionRun(BaseModel):
    dry_run: bool
    items: list[RetentionRunItem]
