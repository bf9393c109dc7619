"""The taxonomy's edits with their audit entries, shared by the API (text/themes/routes.py) and the web app's themes
page, so both change a theme the same way and record the same entry in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor
from cxloop.text.themes import service as themes
from cxloop.text.themes.models import Theme
from cxloop.text.themes.schemas import ThemeUpdate


def update_theme(session: Session, *, theme_id: int, data: ThemeUpdate, actor: AuditActor) -> Theme:
    """Rename, pin or hide (themes.update_theme), audited as `theme.updated` with the fields before and after."""
    fields = set(data.changes())
    before = themes.require_theme(session, theme_id=theme_id)
    was = {f: getattr(before, f) for f in fields}
    theme = themes.update_theme(session, theme_id=theme_id, data=data)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.theme_updated,
        target_id=theme_id,
        before=was,
        after={f: getattr(theme, f) for f in fields},
    )
    return theme


def merge_themes(session: Session, *, theme_ids: Sequence[int], into: int, actor: AuditActor) -> Theme:
    """Merge `theme_ids` into `into` (themes.merge_themes), audited as `theme.merged` on the theme kept."""
    theme = themes.merge_themes(session, theme_ids=theme_ids, into=into)
    audit.record(
        session, actor=actor, action=AuditAction.theme_merged, target_id=into, after={"merged": list(theme_ids)}
    )
    return theme


def split_theme(session: Session, *, theme_id: int, groups: Sequence[Sequence[str]], actor: AuditActor) -> list[Theme]:
    """Split off a rule theme per group of keywords (themes.split_theme), audited as `theme.split`."""
    made = themes.split_theme(session, theme_id=theme_id, groups=groups)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.theme_split,
        target_id=theme_id,
        after={"themes": [{"id": t.id, "phrases": t.phrases} for t in made]},
    )
    return made
