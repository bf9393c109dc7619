"""response limits, contact policy scopes and cap weights, consent purposes

- surveys.allow_multiple_responses becomes response_limit: false -> 'once', true -> 'per_invitation' (each keeps
  what it did); response_period_days is for 'per_period'.
- contact_policy gains key ('default' for the existing row), segment_filter, priority and channel_weights ({}: the
  channel registry's defaults, under which widget prompts now count towards the frequency cap).
- consents and consent_changes gain purpose; existing rows become '*' (every purpose): they were said before
  purposes existed, so they keep silencing (or allowing) everything they did. consents' primary key becomes
  (customer_id, purpose, channel).
- invitations.policy: the key of the policy that decided (NULL for invitations decided before).

Revision ID: 08a66bf01f76
Revises: 8f6b557db6ac
Create Date: 2026-12-06 17:38:14.286581
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "08a66bf01f76"
down_revision: str | None = "8f6b557db6ac"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("consent_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), server_default="*", nullable=False))

    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), server_default="*", nullable=False))
        batch_op.drop_constraint("pk_consents", type_="primary")
        batch_op.create_primary_key("pk_consents", ["customer_id", "purpose", "channel"])

    # The defaults only fill the existing rows; new ones always name their purpose.
    for table in ("consent_changes", "consents"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("purpose", server_default=None, existing_type=sa.String(length=16))

    with op.batch_alter_table("contact_policy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=64), server_default="default", nullable=False))
        batch_op.add_column(sa.Column("segment_filter", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("channel_weights", _JSON, server_default="{}", nullable=False))
    with op.batch_alter_table("contact_policy", schema=None) as batch_op:
        batch_op.alter_column("key", server_default=None, existing_type=sa.String(length=64))
        batch_op.alter_column("channel_weights", server_default=None, existing_type=_JSON)
        batch_op.create_unique_constraint(batch_op.f("uq_contact_policy_key"), ["key"])

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy", sa.String(length=64), nullable=True))

    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_limit", sa.String(length=16), server_default="once", nullable=False))
        batch_op.add_column(sa.Column("response_period_days", sa.Integer(), nullable=True))
    surveys = sa.table("surveys", sa.column("allow_multiple_responses", sa.Boolean), sa.column("response_limit"))
    op.execute(
        surveys.update().where(surveys.c.allow_multiple_responses == sa.true()).values(response_limit="per_invitation")
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("allow_multiple_responses")


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_multiple_responses", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    surveys = sa.table("surveys", sa.column("allow_multiple_responses", sa.Boolean), sa.column("response_limit"))
    op.execute(surveys.update().where(surveys.c.response_limit != "once").values(allow_multiple_responses=sa.true()))
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("response_period_days")
        batch_op.drop_column("response_limit")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("policy")

    # Only the organisation's default policy existed before.
    contact_policy = sa.table("contact_policy", sa.column("key", sa.String))
    op.execute(contact_policy.delete().where(contact_policy.c.key != "default"))
    with op.batch_alter_table("contact_policy", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_contact_policy_key"), type_="unique")
        batch_op.drop_column("channel_weights")
        batch_op.drop_column("priority")
        batch_op.drop_column("segment_filter")
        batch_op.drop_column("key")

    # The earlier schema cannot hold purpose-specific rows: only the every-purpose ones stay.
    consents = sa.table(
        "consents",
        sa.column("customer_id", sa.Integer),
        sa.column("purpose", sa.String),
        sa.column("channel", sa.String),
        sa.column("granted", sa.Boolean),
    )
    op.execute(consents.delete().where(consents.c.purpose != "*"))
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_constraint("pk_consents", type_="primary")
        batch_op.create_primary_key("pk_consents", ["customer_id", "channel"])
        batch_op.drop_column("purpose")

    with op.batch_alter_table("consent_changes", schema=None) as batch_op:
        batch_op.drop_column("purpose")
