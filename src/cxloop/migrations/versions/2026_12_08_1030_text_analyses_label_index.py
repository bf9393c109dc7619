"""text analyses label index

The explorer's sentiment filter reads the ids of one label's analysed items from an index on (kind, field, label,
item id) instead of a scan of every analysis: on SQLite at 1M responses the filter took 0.5 s
(docs/benchmarks.md, "The explorer's sentiment filter").

Revision ID: 8b4e1f7a2c93
Revises: 7a3d9c2e4f61
Create Date: 2026-12-08 10:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8b4e1f7a2c93"
down_revision: str | None = "7a3d9c2e4f61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_text_analyses_label",
        "text_analyses",
        ["item_kind", "field", "sentiment_label", "item_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_text_analyses_label", table_name="text_analyses")
