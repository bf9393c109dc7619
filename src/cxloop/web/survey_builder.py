"""The survey builder: /surveys/new and /surveys/{id}, one form for the questions, their conditions, languages,
the collection window and the response limit; its edit buttons (add, remove, move a question) redraw the unsaved
form, its save button creates the survey (version 1) or a new version exactly as POST and PATCH /api/v1/surveys do,
with the same audit entries. Errors come back next to their field, in the domain's words. Trigger rules for the
survey are created, changed, paused and deleted here too (web/survey_triggers.py, as /api/v1/trigger-rules does).

Viewers and agents see the builder read-only, with previews of the stored survey (web/survey_preview.py);
analysts and admins edit (the API's roles).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.analytics import survey_responses
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import Conflict, InvalidInput, NotFound
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.surveys import lifecycle, templates
from cxloop.surveys import service as surveys
from cxloop.surveys.audit_trail import snapshot, update_action
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.schemas import SurveyCreate, SurveyRead, SurveyUpdate
from cxloop.web import survey_form, survey_view
from cxloop.web import trigger_form as rule_fields
from cxloop.web.auth import AnalystPage, ViewerPage, require_csrf, web_actor
from cxloop.web.posted_form import posted_fields
from cxloop.web.rendering import brand_style, render, security_headers
from cxloop.web.service import SignedIn
from cxloop.web.survey_form import Draft

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
Fields = Annotated[dict[str, str], Depends(posted_fields)]
Body = TypeVar("Body", SurveyCreate, SurveyUpdate)


def current_read(session: Session, survey_id: int) -> SurveyRead:
    """The survey with its current definition; SurveyNotFound otherwise."""
    survey = surveys.require_survey(session, survey_id=survey_id)
    return surveys.survey_read(survey, surveys.require_version(session, survey_id=survey_id).definition)


def _headers() -> dict[str, str]:
    """The app's headers, and leave to frame this site's own previews (the builder's only frame)."""
    policy = security_headers(brand_style())["Content-Security-Policy"]
    return {"Content-Security-Policy": f"{policy}; frame-src 'self'"}


def builder(
    request: Request,
    session: Session,
    user: SignedIn,
    *,
    draft: Draft,
    survey: SurveyRead | None,
    errors: list[tuple[str, str]] | None = None,
    trigger_errors: dict[str, str] | None = None,
    trigger_form: dict[str, str] | None = None,
    rule_forms: dict[int, dict[str, str]] | None = None,
    rule_errors: dict[int, dict[str, str]] | None = None,
    template: str = "",
    status_code: int = 200,
) -> Response:
    """The builder page for `draft` (unsaved edits of `survey`, or a new survey when None); `rule_forms` and
    `rule_errors` redraw a trigger rule's refused edit form."""
    context: dict[str, Any] = {}
    if survey is not None:
        rules = survey_view.trigger_rules(session, survey.id)
        activity = survey_responses.survey_activity(session, survey_ids=[survey.id]).get(survey.id)
        model = surveys.require_survey(session, survey_id=survey.id)
        responses = activity[0] if activity else 0
        context = {
            "effective": lifecycle.effective_status(model, now=utcnow(), responses=responses),
            "moves": survey_view.moves(SurveyStatus(survey.status)),
            "channels": survey_view.channels(session, survey),
            "rules": rules,
            "rule_forms": {rule.id: rule_fields.from_rule(rule) for rule in rules} | (rule_forms or {}),
            "rule_errors": rule_errors or {},
            "choices": survey_view.trigger_choices(session),
            "responses": responses,
            "last_response": activity[1] if activity else None,
        }
    title = f"Survey · {survey.name}" if survey else "New survey"
    return render(
        request,
        "survey.html",
        user=user,
        status_code=status_code,
        headers=_headers(),
        title=title,
        survey=survey,
        draft=draft,
        errors=survey_form.group_errors(draft, errors or []),
        trigger_errors=trigger_errors or {},
        trigger_form=trigger_form or {},
        condition_rows=rule_fields.condition_rows,
        condition_ops=rule_fields.OPS,
        can_edit=user.role.includes(Role.analyst),
        kinds=survey_form.KINDS,
        ops=survey_form.OPS,
        limits=survey_form.RESPONSE_LIMITS,
        templates=[(t.key, t.name) for t in templates.all_templates()],
        chosen_template=template,
        policies=survey_view.policies(session),
        can_change_policies=user.role.includes(Role.admin),
        saved=request.query_params.get("saved") == "1",
        rule_deleted="rule_deleted" in request.query_params,
        **context,
    )


def _not_found(request: Request, user: SignedIn, survey_id: int) -> Response:
    return render(
        request,
        "message.html",
        user=user,
        status_code=404,
        title="No such survey",
        message=f"There is no survey with id {survey_id}. It may have been deleted.",
        back="/surveys",
        back_label="Back to the surveys",
    )


def _checked(
    request: Request,
    session: Session,
    user: SignedIn,
    *,
    draft: Draft,
    survey: SurveyRead | None,
    edit: str,
    new_kind: str,
    model: type[Body],
) -> Response | Body:
    """The draft as the API's body (SurveyCreate for a new survey), checked by the surveys domain's schemas; or the
    builder redrawn, after an edit button or with the errors next to their fields."""
    if edit != "save":
        survey_form.edit(draft, edit, new_kind=new_kind)
        return builder(request, session, user, draft=draft, survey=survey)
    try:
        return model.model_validate(survey_form.payload(draft, new=survey is None))
    except ValidationError as exc:
        errors = survey_form.validation_errors(exc, draft)
        return builder(request, session, user, draft=draft, survey=survey, errors=errors, status_code=422)


@router.get("/surveys/new")
def new_survey(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    template: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """A new survey's builder: blank, or filled from a template (`template`); nothing is stored until it is saved."""
    if template and template not in templates.TEMPLATE_KEYS:
        return builder(
            request,
            session,
            user,
            draft=survey_form.blank(),
            survey=None,
            errors=[("form", f"template: '{template[:20]}' is not one of {', '.join(templates.TEMPLATE_KEYS)}")],
            status_code=404,
        )
    draft = survey_form.from_survey(templates.get_template(template)) if template else survey_form.blank()
    return builder(request, session, user, draft=draft, survey=None, template=template)


@router.post("/surveys/new", dependencies=[Depends(require_csrf)], **body_cap("POST /surveys/new"))
def post_new_survey(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    fields: Fields,
    edit: Annotated[str, Form(max_length=40)] = "save",
    new_kind: Annotated[str, Form(max_length=20)] = "text",
) -> Response:
    """Save the new survey as a draft (version 1), or redraw the form after an edit button."""
    draft = survey_form.from_form(fields)
    data = _checked(request, session, user, draft=draft, survey=None, edit=edit, new_kind=new_kind, model=SurveyCreate)
    if isinstance(data, Response):
        return data
    try:
        made = surveys.create_survey(session, data=data)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        errors = survey_form.domain_errors(exc, draft)
        return builder(request, session, user, draft=draft, survey=None, errors=errors, status_code=409)
    read = surveys.survey_read(made, data.definition.to_document())
    actor = web_actor(request, user)
    audit.record(session, actor=actor, action=AuditAction.survey_created, target_id=made.id, after=snapshot(read))
    return RedirectResponse(f"/surveys/{made.id}?saved=1", status_code=303)


@router.get("/surveys/{survey_id:int}")
def survey_page(request: Request, session: SessionDep, user: ViewerPage, survey_id: Id) -> Response:
    """A survey in the builder (read-only below the analyst role)."""
    try:
        survey = current_read(session, survey_id)
    except NotFound:
        return _not_found(request, user, survey_id)
    return builder(request, session, user, draft=survey_form.from_survey(survey), survey=survey)


@router.post(
    "/surveys/{survey_id:int}", dependencies=[Depends(require_csrf)], **body_cap("POST /surveys/{survey_id:int}")
)
def post_survey(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    survey_id: Id,
    fields: Fields,
    edit: Annotated[str, Form(max_length=40)] = "save",
    new_kind: Annotated[str, Form(max_length=20)] = "text",
) -> Response:
    """Save the edits (a changed definition becomes a new version), or redraw the form after an edit button."""
    try:
        survey = current_read(session, survey_id)
    except NotFound:
        return _not_found(request, user, survey_id)
    draft = survey_form.from_form(fields, key=survey.key)
    data = _checked(
        request, session, user, draft=draft, survey=survey, edit=edit, new_kind=new_kind, model=SurveyUpdate
    )
    if isinstance(data, Response):
        return data
    before = snapshot(survey)
    try:
        after = current_read(session, surveys.update_survey(session, survey_id=survey_id, data=data).id)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        errors = survey_form.domain_errors(exc, draft)
        return builder(request, session, user, draft=draft, survey=survey, errors=errors, status_code=422)
    actor = web_actor(request, user)
    action = update_action(before, after)
    audit.record(session, actor=actor, action=action, target_id=survey_id, before=before, after=snapshot(after))
    return RedirectResponse(f"/surveys/{survey_id}?saved=1", status_code=303)
