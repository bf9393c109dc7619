"""theme examples index

A theme's examples (highest score first, then newest) read from an index in that order: on the themes page at 1M
responses the examples were sorted from every assignment of each theme (docs/benchmarks.md, "Web pages").

Revision ID: 5e1c0a7d2b14
Revises: 5c1e7a9d2b40
Create Date: 2026-12-08 09:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e1c0a7d2b14"
down_revision: str | None = "5c1e7a9d2b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_text_theme_assignments_theme_examples",
        "text_theme_assignments",
        ["theme_id", "item_kind", "score", "item_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_text_theme_assignments_theme_examples", table_name="text_theme_assignments")
