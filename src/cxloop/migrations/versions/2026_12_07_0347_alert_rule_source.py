"""alert rule source

What an alert rule is evaluated on (alerts/enums.py RuleSource): `feedback` (every rule so far: responses and
feedback items) or `anomaly` (anomalies the scan stores; docs/alerts.md).

Revision ID: df71a49274b9
Revises: 3c5e8a1f0d27
Create Date: 2026-12-07 03:47:31.234076
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "df71a49274b9"
down_revision: str | None = "3c5e8a1f0d27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), server_default="feedback", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_column("source")
