"""invitation rollups and survey response days

Invitations per local day of creation and outcome, kept on every invitation write (analytics/invitation_rollups.py):
the fatigue report, response rates, the journey map and the surveys list scanned 1.5M invitations at 1M responses
(docs/benchmarks.md, "Over 1M responses"). The existing invitations are counted in here for the UTC zone, the
default of CXLOOP_ROLLUP_TIMEZONES; a database kept in other zones runs `cxloop metrics rebuild` after upgrading.
Responses per survey and UTC day (analytics/survey_responses.py), for the surveys list, counted in here too.

Revision ID: 7a3d9c2e4f61
Revises: 7a2c4e91b3d6
Create Date: 2026-12-08 10:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3d9c2e4f61"
down_revision: str | None = "7a2c4e91b3d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DIMENSIONS = {
    "all": "''",
    "channel": "channel",
    "survey": "CAST(survey_id AS VARCHAR(64))",
    "touchpoint": "COALESCE(CAST(touchpoint_id AS VARCHAR(64)), '')",
    "policy": "COALESCE(policy, '')",
}


def upgrade() -> None:
    op.create_table(
        "invitation_rollups",
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("dim_value", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tz", "dim", "dim_value", "day", "status", "reason", "delivery", name=op.f("pk_invitation_rollups")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "survey_response_days",
        sa.Column("survey_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("survey_id", "day", name=op.f("pk_survey_response_days")),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "sqlite":
        day = "CAST(strftime('%s', substr({}, 1, 19)) AS INTEGER) / 86400"
    else:
        day = "CAST(floor(extract(epoch FROM {}) / 86400) AS INTEGER)"
    submitted = day.format("submitted_at")
    op.execute(
        f"INSERT INTO survey_response_days (survey_id, day, n) SELECT survey_id, {submitted}, count(*) "
        f"FROM responses GROUP BY survey_id, {submitted}"
    )
    day = day.format("created_at")
    for dim, value in _DIMENSIONS.items():
        grouped = f"{value}, " if dim != "all" else ""  # PostgreSQL refuses a constant in GROUP BY
        op.execute(
            "INSERT INTO invitation_rollups (tz, dim, dim_value, day, status, reason, delivery, n, sent, opened, "
            f"answered) SELECT 'UTC', '{dim}', {value}, {day}, status, COALESCE(reason, ''), "
            "COALESCE(delivery_status, ''), count(*), count(sent_at), count(opened_at), count(answered_at) "
            f"FROM invitations GROUP BY {grouped}{day}, status, COALESCE(reason, ''), COALESCE(delivery_status, '')"
        )


def downgrade() -> None:
    op.drop_table("survey_response_days")
    op.drop_table("invitation_rollups")
