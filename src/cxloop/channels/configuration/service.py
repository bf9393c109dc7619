"""Channel settings stored by an admin, over the environment's: `effective(session, settings)` is the one way every
sender reads its configuration (the invitation and follow-up deliveries, the worker's notification emails, the test
email). Secrets are sealed at rest (sealing.py) and never leave this module but inside the effective Settings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import get_args, get_origin

from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxloop.channels.configuration import sealing
from cxloop.channels.configuration.fields import FIELDS, of_channel
from cxloop.channels.configuration.models import ChannelSetting, ChannelTest
from cxloop.core.config import Settings
from cxloop.core.errors import InvalidInput
from cxloop.jobs import outbox
from cxloop.jobs.events import EMAIL_TEST_REQUESTED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    """What the database holds for a field: readable False when it was sealed under another secret key."""

    name: str
    readable: bool
    updated_at: datetime


def _secret_key(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _rows(session: Session) -> list[ChannelSetting]:
    return list(session.scalars(select(ChannelSetting).order_by(ChannelSetting.name)))


def _value(row: ChannelSetting, settings: Settings) -> str | None:
    return sealing.unseal(_secret_key(settings), row.value) if row.sealed else row.value


def _holds_secret_str(name: str) -> bool:
    """Whether the Settings field is typed SecretStr (or SecretStr | None), so its stored value goes in as one."""
    annotation = Settings.model_fields[name].annotation
    return annotation is SecretStr or SecretStr in get_args(annotation)


def _holds_list(name: str) -> bool:
    """Whether the Settings field is a list (stored as items separated by commas)."""
    return get_origin(Settings.model_fields[name].annotation) is list


def _typed(name: str, value: str) -> object:
    if _holds_secret_str(name):
        return SecretStr(value)
    if _holds_list(name):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def effective(session: Session, settings: Settings) -> Settings:
    """The settings with every channel setting stored in the database in place of the environment's."""
    update: dict[str, object] = {}
    for row in _rows(session):
        if row.name not in FIELDS:
            continue
        value = _value(row, settings)
        if value is None:
            log.warning("channel setting %s was sealed under another secret key: the environment's is used", row.name)
            continue
        update[row.name] = _typed(row.name, value)
    return settings.model_copy(update=update) if update else settings


def stored(session: Session, settings: Settings) -> dict[str, Stored]:
    """The fields the database holds, by name (values stay inside)."""
    return {
        row.name: Stored(row.name, _value(row, settings) is not None, row.updated_at)
        for row in _rows(session)
        if row.name in FIELDS
    }


def save(session: Session, *, settings: Settings, values: Mapping[str, str], now: datetime) -> None:
    """Store these fields (each must be in the registry), sealing the secrets."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"not a channel setting: {', '.join(unknown)}")
    for name, value in values.items():
        sealed = FIELDS[name].secret
        text = sealing.seal(_secret_key(settings), value) if sealed else value
        row = session.get(ChannelSetting, name)
        if row is None:
            session.add(ChannelSetting(name=name, value=text, sealed=sealed, updated_at=now))
        else:
            row.value, row.sealed, row.updated_at = text, sealed, now
    session.flush()


def clear(session: Session, *, channel: str) -> list[str]:
    """Forget the channel's stored settings (the environment's apply again); the names that were stored."""
    names = [field.name for field in of_channel(channel)]
    gone = list(session.scalars(select(ChannelSetting.name).where(ChannelSetting.name.in_(names))))
    session.execute(delete(ChannelSetting).where(ChannelSetting.name.in_(names)))
    session.flush()
    return sorted(gone)


def request_test_email(session: Session, *, user_id: int, now: datetime) -> None:
    """Ask the worker to send a test email to this user (through the outbox, after commit)."""
    _start_test(session, "email", now=now)
    outbox.emit(session, EMAIL_TEST_REQUESTED, {"user_id": user_id})


def _start_test(session: Session, channel: str, *, now: datetime) -> None:
    test = session.get(ChannelTest, channel)
    if test is None:
        session.add(ChannelTest(channel=channel, requested_at=now, detail=""))
    else:
        test.requested_at, test.finished_at, test.ok, test.detail = now, None, None, ""
    session.flush()


def record_test(session: Session, *, channel: str, ok: bool, detail: str, now: datetime) -> None:
    """The outcome of the channel's last test message."""
    test = session.get(ChannelTest, channel)
    if test is None:  # asked for with `cxloop outbox replay` after the row was gone
        test = ChannelTest(channel=channel, requested_at=now)
        session.add(test)
    test.finished_at, test.ok, test.detail = now, ok, detail[:500]
    session.flush()


def last_test(session: Session, *, channel: str) -> ChannelTest | None:
    return session.get(ChannelTest, channel)
