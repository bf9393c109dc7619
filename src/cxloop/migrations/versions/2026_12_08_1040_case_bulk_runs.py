"""case bulk runs

An inbox action on every case of a filter above a few hundred cases runs as a worker job, in chunks of their own
transactions: `case_bulk_runs` holds how far a run got and its counts, `case_bulk_run_cases` its snapshot of the
case ids taken at confirmation (cases/service/bulk_runs.py; docs/web-app.md, "Bulk actions on every case of a
filter, in the background").

Revision ID: 3c5e7a9b1d20
Revises: 8b4e1f7a2c93
Create Date: 2026-12-08 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cxloop.storage.base

revision: str = "3c5e7a9b1d20"
down_revision: str | None = "8b4e1f7a2c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = cxloop.storage.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_bulk_runs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=True),
        sa.Column("set_priority", sa.String(length=20), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("done_words", sa.String(length=300), nullable=False),
        sa.Column("filter_words", sa.String(length=200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("skipped_shown", _JSON, nullable=False),
        sa.Column("actor", _JSON, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("progressed_at", _AT, nullable=False),
        sa.Column("finished_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_bulk_runs_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_bulk_runs")),
    )
    with op.batch_alter_table("case_bulk_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_bulk_runs_finished_at"), ["finished_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_bulk_runs_user_id"), ["user_id"], unique=False)
    op.create_table(
        "case_bulk_run_cases",
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "seq", name=op.f("pk_case_bulk_run_cases")),
    )


def downgrade() -> None:
    op.drop_table("case_bulk_run_cases")
    with op.batch_alter_table("case_bulk_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_bulk_runs_user_id"))
        batch_op.drop_index(batch_op.f("ix_case_bulk_runs_finished_at"))
    op.drop_table("case_bulk_runs")
