"""theme discovery runs as jobs

A discovery run asked for over the API is queued for the worker: its status (queued, running, done, failed; every
earlier run is done), the number of comments asked for, the worker's lease and the error of a failed run; a run
not finished yet has no `finished_at` (docs/themes.md).

Revision ID: 5d1e7a2c9b40
Revises: 5d41c0a7e2b9
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cxloop.storage.base import UTCDateTime

revision: str = "5d1e7a2c9b40"
down_revision: str | None = "5d41c0a7e2b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("text_theme_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), server_default="done", nullable=False))
        batch_op.add_column(sa.Column("requested_limit", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.alter_column("finished_at", existing_type=UTCDateTime(timezone=True), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM text_theme_runs WHERE finished_at IS NULL")
    with op.batch_alter_table("text_theme_runs", schema=None) as batch_op:
        batch_op.alter_column("finished_at", existing_type=UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_column("error")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("requested_limit")
        batch_op.drop_column("status")
