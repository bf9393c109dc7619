"""The editable list of follow-up templates (name, channel, subject, body, translations)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.cases.errors import FollowUpTemplateExists, FollowUpTemplateNotFound
from cxloop.cases.follow_up_schemas import TemplateCreate, TemplateUpdate, Worded, Wording
from cxloop.cases.models import FollowUpTemplate
from cxloop.cases.service.follow_up_text import PLACEHOLDERS, unknown_placeholders
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput


def check_placeholders(subject: str | None, body: str, translations: Mapping[str, Wording]) -> None:
    """422 naming the field and the placeholder when a wording uses one that does not exist."""
    texts = {"subject": subject or "", "body": body}
    for locale, wording in translations.items():
        texts |= {f"translations.{locale}.subject": wording.subject or "", f"translations.{locale}.body": wording.body}
    errors = [
        FieldError(field, f"unknown placeholder {{{name}}}; known: {', '.join(sorted(PLACEHOLDERS))}")
        for field, text in texts.items()
        for name in unknown_placeholders(text)
    ]
    if errors:
        raise InvalidInput("the wording names unknown placeholders", errors=errors)


def wording_fields(data: Worded) -> dict[str, Any]:
    """The checked wording of a template or an improvement, as stored."""
    check_placeholders(data.subject, data.body, data.translations)
    translations = {locale: w.model_dump(exclude_none=True) for locale, w in data.translations.items()}
    return {"channel": data.channel.value, "subject": data.subject, "body": data.body, "translations": translations}


def list_templates(session: Session, *, active_only: bool = False) -> list[FollowUpTemplate]:
    query = select(FollowUpTemplate).order_by(FollowUpTemplate.name, FollowUpTemplate.channel)
    if active_only:
        query = query.where(FollowUpTemplate.is_active.is_(True))
    return list(session.scalars(query).all())


def create_template(session: Session, *, data: TemplateCreate, now: datetime | None = None) -> FollowUpTemplate:
    """A new template; 409 when the name and channel are taken, 422 naming an unknown placeholder."""
    fields = wording_fields(data)
    taken = select(FollowUpTemplate.id).where(
        FollowUpTemplate.name == data.name, FollowUpTemplate.channel == data.channel.value
    )
    if session.scalar(taken) is not None:
        raise FollowUpTemplateExists(
            f"a {data.channel.value} template named '{data.name}' exists already",
            errors=[FieldError("name", "is taken for this channel")],
        )
    now = now or utcnow()
    row = FollowUpTemplate(name=data.name, is_active=True, created_at=now, updated_at=now, **fields)
    session.add(row)
    session.flush()
    return row


def require_template(
    session: Session, *, template_id: int | None = None, name: str = "", channel: str = ""
) -> FollowUpTemplate:
    """By id, or the active template of that name and channel; 404 (422 when asked by name in a body) otherwise."""
    if template_id is not None:
        row = session.get(FollowUpTemplate, template_id)
        if row is None:
            raise FollowUpTemplateNotFound(f"no follow-up template {template_id}")
        return row
    row = session.scalar(
        select(FollowUpTemplate).where(
            FollowUpTemplate.name == name, FollowUpTemplate.channel == channel, FollowUpTemplate.is_active.is_(True)
        )
    )
    if row is None:
        raise InvalidInput(
            "unknown template", errors=[FieldError("template", f"no active {channel} template named '{name}'")]
        )
    return row


def update_template(
    session: Session, *, template_id: int, data: TemplateUpdate
) -> tuple[dict[str, Any], FollowUpTemplate]:
    """Change the wording or retire the template (`is_active: false`); (the fields before, the template)."""
    row = require_template(session, template_id=template_id)
    before = template_fields(row)
    changes = data.model_dump(exclude_unset=True)
    try:
        merged = Worded.model_validate(
            {
                "channel": row.channel,
                "subject": changes.get("subject", row.subject),
                "body": changes.get("body", row.body),
                "translations": changes.get("translations", row.translations) or {},
            }
        )
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
        raise InvalidInput("the template would not be valid", errors=errors) from None
    fields = wording_fields(merged)
    row.subject, row.body, row.translations = fields["subject"], fields["body"], fields["translations"]
    if data.is_active is not None:
        row.is_active = data.is_active
    row.updated_at = utcnow()
    session.flush()
    return before, row


def template_fields(row: FollowUpTemplate) -> dict[str, Any]:
    """What an audit entry records of a template."""
    return {
        "name": row.name,
        "channel": row.channel,
        "subject": row.subject,
        "body": row.body,
        "translations": sorted(row.translations or {}),
        "is_active": row.is_active,
    }
