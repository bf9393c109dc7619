"""Privacy tables: the record of each erasure request and the retention policy per data kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class ErasureRecord(Base):
    """One erasure: who asked, when, and how many rows of each kind went. Keeps none of the erased data: the person
    is named only by the cxloop id they had (a number that no longer points at anything), never by email or name."""

    __tablename__ = "privacy_erasures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)  # not a foreign key: the customer is gone
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)  # kind -> rows (or files) removed


class RetentionPolicy(Base):
    """Keep rows of data kind `kind` for `keep_days`, then `action` them (delete or anonymise). No row: kept forever."""

    __tablename__ = "retention_policies"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    keep_days: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
