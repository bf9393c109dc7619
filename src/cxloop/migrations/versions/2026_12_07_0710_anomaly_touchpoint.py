"""anomaly touchpoint

The touchpoint of an anomaly found in a metric's series per touchpoint (null for every other series, and once the
touchpoint is deleted), so GET /api/v1/anomalies and alert rules on anomalies can name it (docs/analytics.md).

Revision ID: 5d41c0a7e2b9
Revises: cde0b9cb0ca6
Create Date: 2026-12-07 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d41c0a7e2b9"
down_revision: str | None = "cde0b9cb0ca6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("anomalies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("touchpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_anomalies_touchpoint_id"), ["touchpoint_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_anomalies_touchpoint_id_touchpoints"),
            "touchpoints",
            ["touchpoint_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("anomalies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_anomalies_touchpoint_id_touchpoints"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_anomalies_touchpoint_id"))
        batch_op.drop_column("touchpoint_id")
