"""user timezone

A user's own IANA time zone, in which the web app shows times (issue 14); empty: the organisation's (the first of
CXLOOP_ROLLUP_TIMEZONES).

Revision ID: 6a2d4f8e1c37
Revises: 5e1c0a7d2b14
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6a2d4f8e1c37"
down_revision: str | None = "5e1c0a7d2b14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("timezone")
