"""The builder's trigger rules: a new event or time rule inviting to this survey (with its event-property conditions
and fallback channels), changing every field of a rule that PATCH takes (its name, channel, segment, event and delay
or dates, conditions, fallbacks, and pausing or resuming it), and deleting one after a confirmation, as POST, PATCH
and DELETE /api/v1/trigger-rules do (the same schemas, the triggers domain checks the rule; the same audit entries).
A refused rule redraws the builder with each error next to its field of the rule's form (web/trigger_form.py names
them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.errors import Conflict, FieldError, InvalidInput, NotFound
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.triggers import service as triggers
from cxloop.triggers.errors import TriggerRuleKeyTaken
from cxloop.triggers.schemas import TriggerRuleCreate, TriggerRuleRead, TriggerRuleUpdate
from cxloop.web import survey_form, trigger_form
from cxloop.web.auth import AnalystPage, require_csrf, web_actor
from cxloop.web.posted_form import posted_fields
from cxloop.web.rendering import render
from cxloop.web.service import SignedIn
from cxloop.web.survey_builder import builder, current_read
from cxloop.web.surveys_page import refused

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])


def _validation_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = trigger_form.field_of(error["loc"])
        errors.setdefault(name, trigger_form.plain_words(error["type"], error["msg"], name))
    return errors


def _domain_errors(exc: Conflict | InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    fallback = FieldError("key", "is already taken") if isinstance(exc, TriggerRuleKeyTaken) else None
    for refused_field in exc.errors or [fallback or FieldError("form", str(exc))]:
        errors.setdefault(trigger_form.dotted_field(refused_field.field), refused_field.message)
    return errors


@router.post(
    "/surveys/{survey_id:int}/triggers",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /surveys/{survey_id:int}/triggers"),
)
def add_trigger(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    survey_id: Id,
    fields: Annotated[dict[str, str], Depends(posted_fields)],
    kind: Annotated[str, Form(max_length=10)] = "",  # noqa: ARG001 - read with the other fields
) -> Response:
    """A new trigger rule inviting to this survey."""
    try:
        survey = current_read(session, survey_id)
    except NotFound as exc:
        return refused(request, user, "No such survey", exc, "/surveys", 404)
    form = trigger_form.compact(fields)
    errors: dict[str, str] = {}
    made: TriggerRuleRead | None = None
    try:
        data = TriggerRuleCreate.model_validate(trigger_form.create_body(survey_id, form))
        made = triggers.rule_read(triggers.create_rule(session, data=data))
    except ValidationError as exc:
        errors = _validation_errors(exc)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        errors = _domain_errors(exc)
    if made is None:
        draft = survey_form.from_survey(survey)
        return builder(
            request,
            session,
            user,
            draft=draft,
            survey=survey,
            trigger_errors=errors,
            trigger_form=form,
            status_code=422,
        )
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.trigger_rule_created,
        target_id=made.id,
        after=made.model_dump(),
    )
    return RedirectResponse(f"/surveys/{survey_id}#triggers", status_code=303)


def _rule_of(session: Session, survey_id: int, rule_id: int) -> TriggerRuleRead | None:
    rule = triggers.get_rule(session, rule_id=rule_id)
    return triggers.rule_read(rule) if rule is not None and rule.survey_id == survey_id else None


def _no_rule(request: Request, user: SignedIn, survey_id: int, rule_id: int) -> Response:
    exc = NotFound(f"survey {survey_id} has no trigger rule {rule_id}")
    return refused(request, user, "No such trigger rule", exc, f"/surveys/{survey_id}", 404)


def _update(
    request: Request, session: Session, user: SignedIn, *, before: TriggerRuleRead, data: TriggerRuleUpdate
) -> None:
    """Change the rule as PATCH /api/v1/trigger-rules/{id} does, with its audit entry (Conflict, InvalidInput)."""
    after = triggers.rule_read(triggers.update_rule(session, rule_id=before.id, data=data))
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.trigger_rule_updated,
        target_id=before.id,
        before=before.model_dump(),
        after=after.model_dump(),
    )


@router.post(
    "/surveys/{survey_id:int}/triggers/{rule_id:int}/edit",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /surveys/{survey_id:int}/triggers/{rule_id:int}/edit"),
)
def edit_trigger(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    survey_id: Id,
    rule_id: Id,
    fields: Annotated[dict[str, str], Depends(posted_fields)],
    fallback0: Annotated[str, Form(max_length=40)] = "",  # noqa: ARG001 - read with the other fields
) -> Response:
    """Change one of this survey's trigger rules: the fields of its edit form, as PATCH takes them."""
    rule = _rule_of(session, survey_id, rule_id)
    if rule is None:
        return _no_rule(request, user, survey_id, rule_id)
    form = trigger_form.compact(fields)
    errors: dict[str, str] = {}
    try:
        data = TriggerRuleUpdate.model_validate(trigger_form.update_body(form, event_rule=rule.kind == "event"))
        _update(request, session, user, before=rule, data=data)
    except ValidationError as exc:
        errors = _validation_errors(exc)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        errors = _domain_errors(exc)
    if errors:
        survey = current_read(session, survey_id)
        return builder(
            request,
            session,
            user,
            draft=survey_form.from_survey(survey),
            survey=survey,
            rule_forms={rule_id: form},
            rule_errors={rule_id: errors},
            status_code=422,
        )
    return RedirectResponse(f"/surveys/{survey_id}#rule-{rule_id}", status_code=303)


@router.post(
    "/surveys/{survey_id:int}/triggers/{rule_id:int}",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /surveys/{survey_id:int}/triggers/{rule_id:int}"),
)
def set_trigger_enabled(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    survey_id: Id,
    rule_id: Id,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Pause (`enabled` empty) or resume (`enabled=1`) one of this survey's trigger rules."""
    rule = _rule_of(session, survey_id, rule_id)
    if rule is None:
        return _no_rule(request, user, survey_id, rule_id)
    try:
        _update(request, session, user, before=rule, data=TriggerRuleUpdate(enabled=enabled == "1"))
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return refused(request, user, "The trigger rule was not changed", exc, f"/surveys/{survey_id}", 409)
    return RedirectResponse(f"/surveys/{survey_id}#triggers", status_code=303)


def _confirm_delete(request: Request, user: SignedIn, rule: TriggerRuleRead) -> Response:
    return render(request, "survey_trigger_delete.html", user=user, title=f"Delete {rule.name}?", rule=rule)


@router.get("/surveys/{survey_id:int}/triggers/{rule_id:int}/delete")
def confirm_delete_trigger(
    request: Request, session: SessionDep, user: AnalystPage, survey_id: Id, rule_id: Id
) -> Response:
    """The page asking to confirm deleting one of this survey's trigger rules (the builder's Delete link)."""
    rule = _rule_of(session, survey_id, rule_id)
    if rule is None:
        return _no_rule(request, user, survey_id, rule_id)
    return _confirm_delete(request, user, rule)


@router.post(
    "/surveys/{survey_id:int}/triggers/{rule_id:int}/delete",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /surveys/{survey_id:int}/triggers/{rule_id:int}/delete"),
)
def delete_trigger(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    survey_id: Id,
    rule_id: Id,
    confirmed: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Delete one of this survey's trigger rules as DELETE /api/v1/trigger-rules/{id} does (its invitations stay),
    once `confirmed=yes`; without it, the page asking to confirm."""
    rule = _rule_of(session, survey_id, rule_id)
    if rule is None:
        return _no_rule(request, user, survey_id, rule_id)
    if confirmed != "yes":
        return _confirm_delete(request, user, rule)
    triggers.delete_rule(session, rule_id=rule_id)
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.trigger_rule_deleted,
        target_id=rule_id,
        before=rule.model_dump(),
    )
    return RedirectResponse(f"/surveys/{survey_id}?rule_deleted={rule_id}#triggers", status_code=303)
