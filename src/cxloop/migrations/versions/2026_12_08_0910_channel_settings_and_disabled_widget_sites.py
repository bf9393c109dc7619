"""channel settings and disabled widget sites

Channel settings an admin stores over the environment's (`channel_settings`, secrets sealed with a key derived from
CXLOOP_SECRET_KEY), the last test message of each channel (`channel_tests`; docs/web-app.md), and whether a widget
site is enabled (`widget_sites.enabled`, true for every existing site).

Revision ID: 5c1e7a9d2b40
Revises: 5d1e7a2c9b40
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cxloop.storage.base

revision: str = "5c1e7a9d2b40"
down_revision: str | None = "5d1e7a2c9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widget_sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        "channel_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_channel_settings")),
    )
    op.create_table(
        "channel_tests",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("requested_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", cxloop.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_tests")),
    )


def downgrade() -> None:
    op.drop_table("channel_tests")
    op.drop_table("channel_settings")
    with op.batch_alter_table("widget_sites", schema=None) as batch_op:
        batch_op.drop_column("enabled")
