"""sentiment model kind and minilm scores

Which learned kind a sentiment model fit stored (`tfidf`, every fit so far; `minilm`: on MiniLM sentence
embeddings) and the cross-validated macro-F1 of the MiniLM model (null when it was not tried; docs/text-analytics.md).

Revision ID: cde0b9cb0ca6
Revises: c2b9241b3bdd
Create Date: 2026-12-07 04:46:42.031582
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cde0b9cb0ca6"
down_revision: str | None = "c2b9241b3bdd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("text_sentiment_models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="tfidf", nullable=False))
        batch_op.add_column(sa.Column("f1_minilm", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("f1_minilm_binary", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("text_sentiment_models", schema=None) as batch_op:
        batch_op.drop_column("f1_minilm_binary")
        batch_op.drop_column("f1_minilm")
        batch_op.drop_column("kind")
