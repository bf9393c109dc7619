from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Response, status

from cxloop.access.deps import ActorDep, AnalystDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.int_bounds import Count, Id, Limit, Version
from cxloop.storage.deps import SessionDep
from cxloop.surveys import rules, templates
from cxloop.surveys import service as surveys
from cxloop.surveys.audit_trail import snapshot, update_action
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.schemas import (
    SurveyCreate,
    SurveyForm,
    SurveyPage,
    SurveyRead,
    SurveyTemplateRead,
    SurveyUpdate,
    SurveyVersionRead,
)

if TYPE_CHECKING:
    from cxloop.surveys.models import Survey

router = APIRouter(tags=["surveys"])


def _read_current(session: SessionDep, survey: Survey) -> SurveyRead:
    return surveys.survey_read(survey, surveys.require_version(session, survey_id=survey.id).definition)


@router.get("/survey-templates", response_model=list[SurveyTemplateRead])
def list_survey_templates(_: ViewerDep) -> list[SurveyTemplateRead]:
    """The classic programmes (relationship NPS, post-support CSAT, onboarding CES, post-delivery CSAT) and the
    widget's feedback button (site feedback: a 1-5 rating and a comment)."""
    return [SurveyTemplateRead(key=t.key, survey=t) for t in templates.all_templates()]


@router.post("/surveys", response_model=SurveyRead, status_code=status.HTTP_201_CREATED)
def create_survey(body: SurveyCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> SurveyRead:
    """Create a survey; its definition becomes version 1."""
    survey = surveys.survey_read((made := surveys.create_survey(session, data=body)), body.definition.to_document())
    audit.record(session, actor=actor, action=AuditAction.survey_created, target_id=made.id, after=snapshot(survey))
    return survey


@router.get("/surveys", response_model=SurveyPage)
def list_surveys(
    session: SessionDep,
    _: ViewerDep,
    status: SurveyStatus | None = None,
    key: str | None = None,
    sort: Annotated[str | None, Query(description="e.g. '-updated_at' or 'name'")] = None,
    limit: Limit = 50,
    offset: Count = 0,
) -> SurveyPage:
    """Surveys, filtered by status or key, sorted and paginated."""
    page = surveys.list_surveys(session, status=status, key=key, sort=sort, limit=limit, offset=offset)
    definitions = surveys.current_definitions(session, surveys=page.items)
    return SurveyPage(
        items=[surveys.survey_read(s, definitions[s.id]) for s in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/surveys/{survey_id:int}", response_model=SurveyRead)
def get_survey(survey_id: Id, session: SessionDep, _: ViewerDep) -> SurveyRead:
    """A survey with its current definition."""
    return _read_current(session, surveys.require_survey(session, survey_id=survey_id))


@router.patch("/surveys/{survey_id:int}", response_model=SurveyRead)
def update_survey(survey_id: Id, body: SurveyUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> SurveyRead:
    """Change name, status or locale; a changed definition becomes a new version (old responses keep theirs)."""
    before = snapshot(_read_current(session, surveys.require_survey(session, survey_id=survey_id)))
    after = _read_current(session, surveys.update_survey(session, survey_id=survey_id, data=body))
    action = update_action(before, after)
    audit.record(session, actor=actor, action=action, target_id=survey_id, before=before, after=snapshot(after))
    return after


@router.delete("/surveys/{survey_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_survey(survey_id: Id, session: SessionDep, _: AnalystDep, actor: ActorDep) -> Response:
    """Delete a survey that has no responses (409 otherwise: close it instead)."""
    before = snapshot(_read_current(session, surveys.require_survey(session, survey_id=survey_id)))
    surveys.delete_survey(session, survey_id=survey_id)
    audit.record(session, actor=actor, action=AuditAction.survey_deleted, target_id=survey_id, before=before)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/surveys/{survey_id:int}/versions", response_model=list[SurveyVersionRead])
def list_survey_versions(survey_id: Id, session: SessionDep, _: ViewerDep) -> list[SurveyVersionRead]:
    """Every version of a survey, oldest first."""
    return [SurveyVersionRead.model_validate(v) for v in surveys.list_versions(session, survey_id=survey_id)]


@router.get("/surveys/{survey_id:int}/versions/{version:int}", response_model=SurveyVersionRead)
def get_survey_version(survey_id: Id, version: Version, session: SessionDep, _: ViewerDep) -> SurveyVersionRead:
    """One version of a survey."""
    return SurveyVersionRead.model_validate(surveys.require_version(session, survey_id=survey_id, version=version))


@router.get("/surveys/{survey_id:int}/form", response_model=SurveyForm)
def get_survey_form(
    survey_id: Id,
    session: SessionDep,
    _: ViewerDep,
    locale: Annotated[str | None, Query(description="e.g. 'de' or 'pt-BR'; falls back to the default locale")] = None,
    version: Version | None = None,
) -> SurveyForm:
    """A version's questions with every text in one locale (falling back to the survey's default locale)."""
    survey = surveys.require_survey(session, survey_id=survey_id)
    found = surveys.require_version(session, survey_id=survey.id, version=version)
    return SurveyForm(
        survey_id=survey.id,
        key=survey.key,
        version=found.version,
        locale=locale or survey.default_locale,
        questions=rules.localize_questions(found.definition, locale, survey.default_locale),
    )
