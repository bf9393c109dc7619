"""text vectors

Each comment's MiniLM sentence vector is stored once it is encoded (`text_vectors`, float16), so theme discovery and
the matching of older comments read it instead of encoding every comment again at about 75 a second
(text/themes/vectors.py; docs/themes.md, "Stored vectors").

Revision ID: 4d8f2b6c3e71
Revises: 3c5e7a9b1d20
Create Date: 2026-12-08 10:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4d8f2b6c3e71"
down_revision: str | None = "3c5e7a9b1d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "text_vectors",
        sa.Column("id", _ID, nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("embedder", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_vectors")),
        sa.UniqueConstraint("item_kind", "item_id", name="uq_text_vectors_item"),
    )


def downgrade() -> None:
    op.drop_table("text_vectors")
