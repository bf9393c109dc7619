"""Surveys and their immutable versions: create, read, list, update (a new definition is a new version), delete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError
from cxloop.storage import references
from cxloop.storage.pagination import Page, order_clause, paginate
from cxloop.surveys import deletion, lifecycle, rules
from cxloop.surveys.enums import ResponseLimit, SurveyStatus
from cxloop.surveys.errors import (
    InvalidSurvey,
    SurveyConflict,
    SurveyInUse,
    SurveyNotFound,
    SurveyVersionNotFound,
)
from cxloop.surveys.models import Survey, SurveyVersion
from cxloop.surveys.schemas import SurveyCreate, SurveyDefinition, SurveyRead, SurveyUpdate

_SORTABLE = {name: Survey.__table__.c[name] for name in ("id", "key", "name", "status", "created_at", "updated_at")}


def create_survey(session: Session, *, data: SurveyCreate) -> Survey:
    """Create a survey with its definition as version 1; 409 when the key is taken."""
    if session.scalar(select(Survey.id).where(Survey.key == data.key)) is not None:
        raise SurveyConflict(
            f"a survey with key '{data.key}' exists already", errors=[FieldError("key", "is already taken")]
        )
    now = utcnow()
    survey = Survey(
        key=data.key,
        name=data.name,
        status=data.status.value,
        default_locale=data.default_locale,
        current_version=1,
        **_window(data),
        created_at=now,
        updated_at=now,
    )
    session.add(survey)
    session.flush()
    session.add(SurveyVersion(survey_id=survey.id, version=1, definition=data.definition.to_document(), created_at=now))
    session.flush()
    return survey


_WINDOW_FIELDS = (
    "opens_at",
    "closes_at",
    "max_responses",
    "response_limit",
    "response_period_days",
    "resurvey_days",
    "reminder_after_days",
    "invitation_ttl_days",
)
_NOT_NULL = {"response_limit", "resurvey_days", "invitation_ttl_days"}


def _window(data: SurveyCreate | SurveyUpdate) -> dict[str, Any]:
    """The life-cycle and frequency fields the request sent (a null clears an optional one)."""
    sent = data.model_fields_set
    fields = {name: getattr(data, name) for name in _WINDOW_FIELDS if name in sent}
    return {name: value for name, value in fields.items() if value is not None or name not in _NOT_NULL}


def get_survey(session: Session, *, survey_id: int | None = None, key: str | None = None) -> Survey | None:
    """The survey with this id or key, or None."""
    if survey_id is not None:
        return session.get(Survey, survey_id)
    if key is not None:
        return session.scalar(select(Survey).where(Survey.key == key))
    raise ValueError("give survey_id or key")


def get_surveys(session: Session, *, survey_ids: Iterable[int]) -> dict[int, Survey]:
    """Survey id -> survey for the known ids (unknown ids are left out)."""
    ids = sorted(set(survey_ids))
    return {survey.id: survey for survey in session.scalars(select(Survey).where(Survey.id.in_(ids)))} if ids else {}


def ids_by_key(session: Session, *, keys: Iterable[str]) -> dict[str, int]:
    """Survey key -> id for the known keys (unknown keys are left out)."""
    wanted = sorted(set(keys))
    return dict(session.execute(select(Survey.key, Survey.id).where(Survey.key.in_(wanted))).all()) if wanted else {}


def keys_by_id(session: Session, *, survey_ids: Iterable[int]) -> dict[int, str]:
    """Survey id -> key for the known ids (unknown ids are left out)."""
    ids = sorted(set(survey_ids))
    return dict(session.execute(select(Survey.id, Survey.key).where(Survey.id.in_(ids))).all()) if ids else {}


def require_survey(session: Session, *, survey_id: int | None = None, key: str | None = None) -> Survey:
    """The survey with this id or key; SurveyNotFound otherwise."""
    survey = get_survey(session, survey_id=survey_id, key=key)
    if survey is None:
        raise SurveyNotFound(f"no survey with {'id ' + str(survey_id) if survey_id is not None else f'key {key!r}'}")
    return survey


def list_surveys(
    session: Session,
    *,
    status: SurveyStatus | None = None,
    key: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Survey]:
    """One page of surveys, optionally filtered by status or key, sorted by `sort` (e.g. '-updated_at')."""
    query = select(Survey)
    if status is not None:
        query = query.where(Survey.status == status.value)
    if key is not None:
        query = query.where(Survey.key == key)
    query = query.order_by(*order_clause(sort, _SORTABLE, "id"), Survey.id)
    return paginate(session, query, limit=limit, offset=offset)


def update_survey(session: Session, *, survey_id: int, data: SurveyUpdate) -> Survey:
    """Change name, status or default locale; a changed definition becomes version N+1 (old responses keep theirs)."""
    survey = require_survey(session, survey_id=survey_id)
    sent = data.model_fields_set
    current = require_version(session, survey_id=survey.id)
    locale = data.default_locale if "default_locale" in sent and data.default_locale else survey.default_locale
    definition = data.definition if "definition" in sent else None
    document = definition.to_document() if definition is not None else None
    problems = (definition or SurveyDefinition.model_validate(current.definition)).missing_locale(locale)
    if problems:
        raise InvalidSurvey(
            "the definition has no wording in the default locale",
            errors=[FieldError(".".join(str(p) for p in ("definition", *loc)), message) for loc, message in problems],
        )
    now = utcnow()
    if document is not None and document != current.definition:
        survey.current_version = current.version + 1
        session.add(
            SurveyVersion(survey_id=survey.id, version=survey.current_version, definition=document, created_at=now)
        )
    if "name" in sent and data.name is not None:
        survey.name = data.name
    if "status" in sent and data.status is not None:
        lifecycle.check_transition(survey, data.status, opens_at=data.opens_at or survey.opens_at)
        survey.status = data.status.value
    reminders_were_off = survey.reminder_after_days is None
    for name, value in _window(data).items():
        setattr(survey, name, value)
    if survey.opens_at and survey.closes_at and survey.closes_at <= survey.opens_at:
        raise InvalidSurvey(
            "closes_at must be after opens_at", errors=[FieldError("closes_at", "must be after opens_at")]
        )
    if survey.response_limit == ResponseLimit.per_period and survey.response_period_days is None:
        message = "required when response_limit is per_period"
        raise InvalidSurvey(message, errors=[FieldError("response_period_days", message)])
    if reminders_were_off and survey.reminder_after_days is not None:
        survey.reminders_since = None if data.remind_earlier_invitations else now
    survey.default_locale = locale
    survey.updated_at = now
    session.flush()
    return survey


def survey_read(survey: Survey, definition: dict[str, Any]) -> SurveyRead:
    """A survey as the API and the web app show it, with the definition given (its current version's)."""
    return SurveyRead(
        id=survey.id,
        key=survey.key,
        name=survey.name,
        status=SurveyStatus(survey.status),
        default_locale=survey.default_locale,
        current_version=survey.current_version,
        definition=definition,
        opens_at=survey.opens_at,
        closes_at=survey.closes_at,
        max_responses=survey.max_responses,
        response_limit=ResponseLimit(survey.response_limit),
        response_period_days=survey.response_period_days,
        resurvey_days=survey.resurvey_days,
        reminder_after_days=survey.reminder_after_days,
        reminders_since=survey.reminders_since,
        invitation_ttl_days=survey.invitation_ttl_days,
        created_at=survey.created_at,
        updated_at=survey.updated_at,
    )


def delete_survey(session: Session, *, survey_id: int) -> None:
    """Delete a survey and its versions; SurveyInUse (409) when responses (or other records) point at it."""
    survey = require_survey(session, survey_id=survey_id)
    version_ids = list(session.scalars(select(SurveyVersion.id).where(SurveyVersion.survey_id == survey.id)))
    references.lock(session, ["survey_versions", "surveys"])
    try:
        # Responses point at surveys softly (storage/references.py); other tables with real foreign keys are
        # caught by the database, in a savepoint that keeps the transaction usable.
        references.release(session, "surveys", [survey.id])
        references.release(session, "survey_versions", version_ids)
        with session.begin_nested():  # the listeners' work is undone with the deletion when it is refused
            deletion.deleting(session, survey_id=survey.id)
            session.execute(delete(SurveyVersion).where(SurveyVersion.survey_id == survey.id))
            session.execute(delete(Survey).where(Survey.id == survey.id))
    except (IntegrityError, references.StillReferenced) as exc:
        raise SurveyInUse(
            f"survey '{survey.key}' has responses and cannot be deleted; close it instead (status 'closed')"
        ) from exc
    session.expunge(survey)


def require_version(session: Session, *, survey_id: int, version: int | None = None) -> SurveyVersion:
    """Version `version` of a survey (None: the current one); SurveyNotFound / SurveyVersionNotFound otherwise."""
    if version is None:
        version = require_survey(session, survey_id=survey_id).current_version
    found = session.scalar(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey_id, SurveyVersion.version == version)
    )
    if found is None:
        require_survey(session, survey_id=survey_id)
        raise SurveyVersionNotFound(f"survey {survey_id} has no version {version}")
    return found


def get_version(session: Session, *, version_id: int) -> SurveyVersion | None:
    """The survey version with this id (as a response records it), or None."""
    return session.get(SurveyVersion, version_id)


def list_versions(session: Session, *, survey_id: int) -> Sequence[SurveyVersion]:
    """Every version of a survey, oldest first."""
    require_survey(session, survey_id=survey_id)
    return session.scalars(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey_id).order_by(SurveyVersion.version)
    ).all()


def current_definitions(session: Session, *, surveys: Iterable[Survey]) -> dict[int, dict[str, Any]]:
    """survey id -> the definition of its current version, in one query (for list pages)."""
    wanted = {(s.id, s.current_version) for s in surveys}
    if not wanted:
        return {}
    rows = session.execute(
        select(SurveyVersion.survey_id, SurveyVersion.version, SurveyVersion.definition).where(
            SurveyVersion.survey_id.in_({survey_id for survey_id, _ in wanted})
        )
    )
    return {survey_id: definition for survey_id, version, definition in rows if (survey_id, version) in wanted}


@dataclass(frozen=True, slots=True)
class ResolvedVersion:
    """A survey version ready for validating answers: ids, status and the compiled questions."""

    survey_id: int
    key: str
    status: SurveyStatus
    version_id: int
    version: int
    rules: rules.CompiledSurvey


# Compiled versions by (version row id, its creation instant). Versions never change once written, so this cache
# needs no invalidation; the instant guards against a deleted version's id being reused (SQLite).
_COMPILED: dict[tuple[int, datetime], rules.CompiledSurvey] = {}
_COMPILED_LIMIT = 512


def _compiled(session: Session, found: list[tuple[int, datetime]]) -> dict[int, rules.CompiledSurvey]:
    missing = [version_id for version_id, created in found if (version_id, created) not in _COMPILED]
    if missing:
        if len(_COMPILED) + len(missing) > _COMPILED_LIMIT:
            _COMPILED.clear()
        rows = session.connection().execute(
            select(SurveyVersion.id, SurveyVersion.created_at, SurveyVersion.definition).where(
                SurveyVersion.id.in_(missing)
            )
        )
        for version_id, created, definition in rows:
            _COMPILED[(version_id, created)] = rules.compile_definition(definition)
    return {version_id: _COMPILED[(version_id, created)] for version_id, created in found}


def _version_rows() -> Select[*tuple[Any, ...]]:
    return select(
        Survey.id,
        Survey.key,
        Survey.status,
        Survey.current_version,
        SurveyVersion.id,
        SurveyVersion.version,
        SurveyVersion.created_at,
    ).join(SurveyVersion, SurveyVersion.survey_id == Survey.id)


# Prebuilt: SQLAlchemy computes a statement's cache key once per object, and that costs more than the query.
_CURRENT_VERSION = _version_rows().where(
    Survey.key == bindparam("key"), SurveyVersion.version == Survey.current_version
)


def resolve_versions(
    session: Session, *, refs: Iterable[tuple[str, int | None]]
) -> dict[tuple[str, int | None], ResolvedVersion]:
    """(survey key, version or None for current) -> the resolved version; unknown refs are left out.

    One query (two when a version is new to this process). Each version is compiled once and kept, so batches and
    single responses validate their answers without reading or compiling definitions again.
    """
    wanted = set(refs)
    keys = {key for key, _ in wanted}
    if not keys:
        return {}
    numbers = {version for _, version in wanted if version is not None}
    if len(keys) == 1 and not numbers:  # one survey, current version: a single response
        rows = session.connection().execute(_CURRENT_VERSION, {"key": next(iter(keys))}).all()
    else:
        condition = SurveyVersion.version == Survey.current_version
        if numbers:
            condition = or_(condition, SurveyVersion.version.in_(numbers))
        rows = session.connection().execute(_version_rows().where(Survey.key.in_(keys)).where(condition)).all()
    compiled = _compiled(session, [(row[4], row[6]) for row in rows])
    found: dict[tuple[str, int | None], ResolvedVersion] = {}
    for survey_id, key, status, current, version_id, version, _ in rows:
        refs_here = [(key, version)] + ([(key, None)] if version == current else [])
        needed = [ref for ref in refs_here if ref in wanted]
        if not needed:
            continue
        resolved = ResolvedVersion(
            survey_id=survey_id,
            key=key,
            status=SurveyStatus(status),
            version_id=version_id,
            version=version,
            rules=compiled[version_id],
        )
        for ref in needed:
            found[ref] = resolved
    return found
