"""Churn-risk tables: each trained model (its parameters and holdout report) and each customer's latest score."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class ChurnModel(Base):
    """A trained churn-risk model (churn/training.py). `params` holds everything scoring needs as plain numbers
    (feature names, imputation medians, scaling, coefficients, the isotonic calibration curve), never a pickle;
    `report` is the holdout evaluation shown by the API (schemas.ChurnReport)."""

    __tablename__ = "churn_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    horizon_days: Mapped[int] = mapped_column(Integer)
    cutoff: Mapped[date] = mapped_column(Date)  # training labels end here; the holdout's labels start here
    params: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    report: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class ChurnScore(Base):
    """A customer's latest churn probability within the model's horizon, with the factors that raise it most
    (rewritten by each daily scoring run)."""

    __tablename__ = "churn_scores"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("churn_models.id", ondelete="CASCADE"), index=True)
    probability: Mapped[float] = mapped_column(Float, index=True)
    top_factors: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)
