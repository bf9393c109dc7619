"""soft references on responses

The five foreign keys of `responses` become soft references (storage/references.py): their row-by-row checks cost
more than the insert itself. The (survey_id, submitted_at) index goes for the same reason. Rows are kept as they are.

Revision ID: 011553014cac
Revises: 4be3c3cb7d21
Create Date: 2026-11-26 11:01:27.646017
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB with a bare Text())

revision: str = "011553014cac"
down_revision: str | None = "4be3c3cb7d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_survey_submitted"))
        batch_op.drop_constraint(batch_op.f("fk_responses_stage_id_stages"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_responses_survey_version_id_survey_versions"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_responses_survey_id_surveys"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_responses_touchpoint_id_touchpoints"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_responses_customer_id_customers"), type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_customer_id_customers"), "customers", ["customer_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_touchpoint_id_touchpoints"),
            "touchpoints",
            ["touchpoint_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(batch_op.f("fk_responses_survey_id_surveys"), "surveys", ["survey_id"], ["id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_survey_version_id_survey_versions"),
            "survey_versions",
            ["survey_version_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_stage_id_stages"), "stages", ["stage_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_responses_survey_submitted"), ["survey_id", "submitted_at"], unique=False)
