"""Widget sites and their prompt rules: management, and the read-only snapshot the public endpoints work from.

A snapshot holds everything a decision needs (origins, rules, the surveys' definitions) so that "may I show a
prompt?" usually answers without touching the database; `site_cache.SiteCache` keeps one per site key for a few
seconds in each server process.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxloop.channels.widget import questions
from cxloop.channels.widget.errors import SiteNotFound
from cxloop.channels.widget.models import WidgetPromptRule, WidgetSite
from cxloop.channels.widget.schemas import (
    PromptRuleRead,
    PromptRuleSpec,
    QuestionRead,
    SiteCreate,
    SiteRead,
    SiteUpdate,
)
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.surveys import service as surveys

if TYPE_CHECKING:
    from cxloop.surveys.models import Survey


def _new_key() -> str:
    return "ws_" + secrets.token_urlsafe(18)


def _survey_ids(session: Session, keys: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Survey key -> id for the (field, key) pairs; InvalidInput naming each field with an unknown key."""
    found = surveys.ids_by_key(session, keys=(key for _, key in keys))
    errors = [FieldError(field, f"no survey with key '{key}'") for field, key in keys if key not in found]
    if errors:
        raise InvalidInput("the site names surveys that do not exist; nothing was saved", errors=errors)
    return found


def _set_rules(session: Session, site: WidgetSite, rules: Sequence[PromptRuleSpec], survey_ids: dict[str, int]) -> None:
    session.execute(delete(WidgetPromptRule).where(WidgetPromptRule.site_id == site.id))
    for position, rule in enumerate(rules):
        session.add(
            WidgetPromptRule(
                site_id=site.id,
                position=position,
                survey_id=survey_ids[rule.survey],
                url_match=rule.url_match,
                event=rule.event,
                seconds_on_page=rule.seconds_on_page,
                sampling_rate=rule.sampling_rate,
            )
        )
    session.flush()


def _referenced(data: SiteCreate | SiteUpdate) -> list[tuple[str, str]]:
    keys = [(f"rules.{i}.survey", rule.survey) for i, rule in enumerate(data.rules or [])]
    if data.feedback_survey:
        keys.append(("feedback_survey", data.feedback_survey))
    return keys


def create_site(session: Session, *, data: SiteCreate) -> WidgetSite:
    """A new site with a fresh public key and its rules."""
    survey_ids = _survey_ids(session, _referenced(data))
    now = utcnow()
    site = WidgetSite(
        key=_new_key(),
        name=data.name,
        channel=data.channel,
        allowed_origins=list(data.allowed_origins),
        feedback_survey_id=survey_ids.get(data.feedback_survey) if data.feedback_survey else None,
        anonymous_cap_days=data.anonymous_cap_days,
        anonymous_sampling_rate=data.anonymous_sampling_rate,
        enabled=data.enabled,
        created_at=now,
        updated_at=now,
    )
    session.add(site)
    session.flush()
    _set_rules(session, site, data.rules, survey_ids)
    return site


def require_site(session: Session, *, site_id: int) -> WidgetSite:
    site = session.get(WidgetSite, site_id)
    if site is None:
        raise SiteNotFound(f"no widget site with id {site_id}")
    return site


def update_site(session: Session, *, site_id: int, data: SiteUpdate) -> WidgetSite:
    """Change the fields sent; `rules`, when sent, replaces every rule."""
    site = require_site(session, site_id=site_id)
    survey_ids = _survey_ids(session, _referenced(data))
    sent = data.model_fields_set
    for name in ("name", "channel", "anonymous_cap_days", "anonymous_sampling_rate", "enabled"):
        value = getattr(data, name)
        if name in sent and value is not None:
            setattr(site, name, value)
    if "allowed_origins" in sent and data.allowed_origins is not None:
        site.allowed_origins = list(data.allowed_origins)
    if "feedback_survey" in sent:
        site.feedback_survey_id = survey_ids[data.feedback_survey] if data.feedback_survey else None
    if "rules" in sent and data.rules is not None:
        _set_rules(session, site, data.rules, survey_ids)
    site.updated_at = utcnow()
    session.flush()
    return site


def delete_site(session: Session, *, site_id: int) -> None:
    session.delete(require_site(session, site_id=site_id))
    session.flush()


def list_sites(session: Session) -> tuple[Sequence[WidgetSite], int]:
    """Every site, oldest first, and their count."""
    sites = session.scalars(select(WidgetSite).order_by(WidgetSite.id)).all()
    return sites, int(session.scalar(select(func.count()).select_from(WidgetSite)) or 0)


def rules_of(session: Session, *, site_ids: Sequence[int]) -> dict[int, list[tuple[WidgetPromptRule, str]]]:
    """Each site's rules in order, with their survey's key."""
    found: dict[int, list[tuple[WidgetPromptRule, str]]] = {site_id: [] for site_id in site_ids}
    query = (
        select(WidgetPromptRule)
        .where(WidgetPromptRule.site_id.in_(list(site_ids)))
        .order_by(WidgetPromptRule.site_id, WidgetPromptRule.position)
    )
    rules = session.scalars(query).all()
    keys = surveys.keys_by_id(session, survey_ids=(rule.survey_id for rule in rules))
    for rule in rules:
        found[rule.site_id].append((rule, keys[rule.survey_id]))
    return found


def embed_tag(public_url: str, key: str) -> str:
    """The script tag a site pastes into its pages."""
    return f'<script src="{public_url.rstrip("/")}/widget.js" data-site-key="{key}" async></script>'


def site_reads(session: Session, found: Sequence[WidgetSite], *, public_url: str) -> list[SiteRead]:
    """The sites as the API and the settings page show them: rules and surveys by key, and the embed tag."""
    rules = rules_of(session, site_ids=[site.id for site in found])
    feedback_keys = surveys.keys_by_id(
        session, survey_ids=[s.feedback_survey_id for s in found if s.feedback_survey_id]
    )
    return [
        SiteRead(
            id=site.id,
            key=site.key,
            name=site.name,
            channel=site.channel,
            allowed_origins=list(site.allowed_origins),
            feedback_survey=feedback_keys.get(site.feedback_survey_id) if site.feedback_survey_id else None,
            anonymous_cap_days=site.anonymous_cap_days,
            anonymous_sampling_rate=site.anonymous_sampling_rate,
            enabled=site.enabled,
            rules=[
                PromptRuleRead(
                    id=rule.id,
                    survey=key,
                    url_match=rule.url_match,
                    event=rule.event,
                    seconds_on_page=rule.seconds_on_page,
                    sampling_rate=rule.sampling_rate,
                )
                for rule, key in rules[site.id]
            ],
            embed=embed_tag(public_url, site.key),
            created_at=site.created_at,
            updated_at=site.updated_at,
        )
        for site in found
    ]


def audited(site: SiteRead) -> dict[str, object]:
    """What the audit log keeps of a site (the embed tag only repeats its public key)."""
    return site.model_dump(exclude={"embed", "created_at", "updated_at"})


# ---------------------------------------------------------------------------------------------------------------
# The snapshot the public endpoints read


@dataclass(frozen=True)
class SurveySnapshot:
    """A survey as the widget needs it: life cycle fields (a detached Survey) and the current definition."""

    survey: Survey
    definition: dict[str, Any]
    # locale asked for -> (locale shown, first question): every prompt shown asks for it
    _first: dict[str | None, tuple[str, QuestionRead]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> int:
        return self.survey.id

    def first_question(self, locale: str | None) -> tuple[str, QuestionRead]:
        """The locale the survey is shown in for `locale`, and its first question in that locale."""
        found = self._first.get(locale)
        if found is None:
            default = self.survey.default_locale
            shown = questions.locale_of(self.definition, locale, default)
            first = questions.next_question(self.definition, {}, after=None, locale=shown, default_locale=default)
            assert first is not None  # a definition has at least one question, and the first has no condition
            found = self._first[locale] = (shown, first)
        return found


@dataclass(frozen=True)
class RuleSnapshot:
    id: int
    survey: SurveySnapshot
    url_match: str | None
    event: str | None
    seconds_on_page: int
    sampling_rate: float


@dataclass(frozen=True)
class SiteSnapshot:
    """One site with its rules and surveys, read once and shared by the requests of the next few seconds."""

    id: int
    key: str
    channel: str
    allowed_origins: frozenset[str]
    anonymous_cap_days: int
    anonymous_sampling_rate: float
    feedback: SurveySnapshot | None
    rules: tuple[RuleSnapshot, ...]
    read_at: datetime


def load_snapshot(session: Session, *, key: str) -> SiteSnapshot | None:
    """The site with this public key, or None (a disabled site too: its script shows nothing)."""
    site = session.scalar(select(WidgetSite).where(WidgetSite.key == key))
    if site is None or not site.enabled:
        return None
    rules = session.scalars(
        select(WidgetPromptRule).where(WidgetPromptRule.site_id == site.id).order_by(WidgetPromptRule.position)
    ).all()
    wanted = {rule.survey_id for rule in rules} | ({site.feedback_survey_id} if site.feedback_survey_id else set())
    found = list(surveys.get_surveys(session, survey_ids=wanted).values())
    definitions = surveys.current_definitions(session, surveys=found)
    snapshots = {s.id: SurveySnapshot(s, definitions[s.id]) for s in found}
    for survey in found:
        session.expunge(survey)  # kept past this session, read-only
    return SiteSnapshot(
        id=site.id,
        key=site.key,
        channel=site.channel,
        allowed_origins=frozenset(site.allowed_origins),
        anonymous_cap_days=site.anonymous_cap_days,
        anonymous_sampling_rate=site.anonymous_sampling_rate,
        feedback=snapshots.get(site.feedback_survey_id) if site.feedback_survey_id else None,
        rules=tuple(
            RuleSnapshot(
                id=rule.id,
                survey=snapshots[rule.survey_id],
                url_match=rule.url_match,
                event=rule.event,
                seconds_on_page=rule.seconds_on_page,
                sampling_rate=rule.sampling_rate,
            )
            for rule in rules
        ),
        read_at=utcnow(),
    )
