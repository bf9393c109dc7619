"""precomputed results

The stored results of the slow analyses the web pages show (themes, key drivers, outcomes, operations, agents,
maturity), refreshed by the worker's sweep (`precomputed_results`), and the sweeps themselves
(`precomputed_sweeps`); docs/web-app.md, "Precomputed analyses".

Revision ID: 7a2c4e91b3d6
Revises: 6a2d4f8e1c37
Create Date: 2026-12-08 10:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cxloop.storage.base

revision: str = "7a2c4e91b3d6"
down_revision: str | None = "6a2d4f8e1c37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "precomputed_results",
        sa.Column("id", _ID, nullable=False),
        sa.Column("analysis", sa.String(length=40), nullable=False),
        sa.Column("params", sa.String(length=1000), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("stamp", sa.String(length=2000), nullable=True),
        sa.Column("computed_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("viewed_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precomputed_results")),
        sa.UniqueConstraint("analysis", "params", name="uq_precomputed_results_analysis_params"),
    )
    with op.batch_alter_table("precomputed_results", schema=None) as batch_op:
        batch_op.create_index("ix_precomputed_results_viewed_at", ["viewed_at"], unique=False)
    op.create_table(
        "precomputed_sweeps",
        sa.Column("id", _ID, nullable=False),
        sa.Column("swept_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refreshed", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precomputed_sweeps")),
    )
    with op.batch_alter_table("precomputed_sweeps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_precomputed_sweeps_swept_at"), ["swept_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("precomputed_sweeps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_precomputed_sweeps_swept_at"))
    op.drop_table("precomputed_sweeps")
    with op.batch_alter_table("precomputed_results", schema=None) as batch_op:
        batch_op.drop_index("ix_precomputed_results_viewed_at")
    op.drop_table("precomputed_results")
