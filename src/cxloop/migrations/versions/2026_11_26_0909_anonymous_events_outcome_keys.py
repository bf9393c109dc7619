"""anonymous events, feedback author email, outcome dedupe key, rollups without rowid

Revision ID: 4be3c3cb7d21
Revises: 325c2ec25389
Create Date: 2026-11-26 09:09:58.330447
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB with a bare Text())

revision: str = "4be3c3cb7d21"
down_revision: str | None = "325c2ec25389"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymous_id", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_events_anonymous_id", ["anonymous_id"], unique=False)

    with op.batch_alter_table("feedback_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_email", sa.String(length=320), nullable=True))

    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        # Existing outcomes came in through the API before sources existed.
        batch_op.add_column(sa.Column("source", sa.String(length=64), nullable=False, server_default="api"))
        batch_op.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_outcomes_source_external_id"), ["source", "external_id"])

    _rebuild_rollups_table(without_rowid=True)


def _rebuild_rollups_table(*, without_rowid: bool) -> None:
    """On SQLite, move score_rollups into a table stored in its primary-key B-tree (WITHOUT ROWID), keeping rows."""
    if op.get_bind().dialect.name != "sqlite":
        return
    suffix = " WITHOUT ROWID" if without_rowid else ""
    op.execute(
        "CREATE TABLE score_rollups_new (tz VARCHAR(64) NOT NULL, metric VARCHAR(8) NOT NULL, dim VARCHAR(16) NOT NULL, "
        "dim_value VARCHAR(64) NOT NULL, day INTEGER NOT NULL, score SMALLINT NOT NULL, n INTEGER NOT NULL, "
        "CONSTRAINT pk_score_rollups PRIMARY KEY (tz, metric, dim, dim_value, day, score))" + suffix
    )
    op.execute("INSERT INTO score_rollups_new SELECT tz, metric, dim, dim_value, day, score, n FROM score_rollups")
    op.execute("DROP TABLE score_rollups")
    op.execute("ALTER TABLE score_rollups_new RENAME TO score_rollups")


def downgrade() -> None:
    _rebuild_rollups_table(without_rowid=False)
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outcomes_source_external_id"), type_="unique")
        batch_op.drop_column("external_id")
        batch_op.drop_column("source")

    with op.batch_alter_table("feedback_items", schema=None) as batch_op:
        batch_op.drop_column("author_email")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_anonymous_id")
        batch_op.drop_column("anonymous_id")
