"""churn models and scores

The churn-risk model's stored parameters and holdout report (`churn_models`) and each customer's latest churn
probability with its top factors (`churn_scores`); docs/churn.md.

Revision ID: 4c1e7a93d2b5
Revises: b7d1f5b9aee4
Create Date: 2026-12-07 00:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB with a bare Text())
from sqlalchemy.dialects import postgresql

import cxloop.storage.base

revision: str = "4c1e7a93d2b5"
down_revision: str | None = "b7d1f5b9aee4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "churn_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("trained_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("params", _json(), nullable=False),
        sa.Column("report", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_churn_models")),
    )
    with op.batch_alter_table("churn_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_churn_models_trained_at"), ["trained_at"], unique=False)
    op.create_table(
        "churn_scores",
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("top_factors", _json(), nullable=False),
        sa.Column("scored_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_churn_scores_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["churn_models.id"], name=op.f("fk_churn_scores_model_id_churn_models"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_churn_scores")),
    )
    with op.batch_alter_table("churn_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_churn_scores_model_id"), ["model_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_churn_scores_probability"), ["probability"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("churn_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_churn_scores_probability"))
        batch_op.drop_index(batch_op.f("ix_churn_scores_model_id"))
    op.drop_table("churn_scores")
    with op.batch_alter_table("churn_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_churn_models_trained_at"))
    op.drop_table("churn_models")
