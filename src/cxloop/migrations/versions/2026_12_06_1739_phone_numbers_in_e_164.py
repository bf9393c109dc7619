"""phone numbers in E.164

Stored numbers written with their country code are rewritten in E.164 (`+44 20 7946 0000` -> `+442079460000`), the
form new numbers are stored in and SMS webhooks send. Numbers that cannot be read without a country are left as
they are (they still work for email-only customers; editing the customer asks for a valid number).

Revision ID: 9e66ab863f86
Revises: 08a66bf01f76
Create Date: 2026-12-06 17:39:22.675982
"""

from collections.abc import Sequence

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision: str = "9e66ab863f86"
down_revision: str | None = "08a66bf01f76"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("phone", sa.String))


def _e164(phone: str) -> str | None:
    text = phone.strip()
    text = "+" + text[2:] if text.startswith("00") else text
    if not text.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_customers.c.id, _customers.c.phone).where(_customers.c.phone.is_not(None)))
    changes = [{"cid": cid, "phone": new} for cid, phone in rows if (new := _e164(phone)) and new != phone]
    if changes:
        bind.execute(
            _customers.update().where(_customers.c.id == sa.bindparam("cid")).values(phone=sa.bindparam("phone")),
            changes,
        )


def downgrade() -> None:
    pass  # E.164 is a valid way to write every number: nothing to undo
