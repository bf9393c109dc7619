"""The builder's trigger rules: a new event or time rule inviting to this survey, and pausing or resuming one, as
POST and PATCH /api/v1/trigger-rules do (the triggers domain checks the rule; the same audit entries). A refused
rule redraws the builder with each error next to its field of the rule form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.errors import Conflict, FieldError, InvalidInput, NotFound
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.triggers import service as triggers
from cxloop.triggers.errors import TriggerRuleKeyTaken
from cxloop.triggers.schemas import TriggerRuleCreate, TriggerRuleUpdate
from cxloop.web import survey_form
from cxloop.web.auth import AnalystPage, require_csrf, web_actor
from cxloop.web.posted_form import posted_fields
from cxloop.web.survey_builder import builder, current_read
from cxloop.web.surveys_page import refused

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
RULE_FIELDS = ("kind", "key", "name", "channel", "event_name", "delay_minutes", "anchor", "offset_days", "repeat_days")
RULE_FIELDS_OPTIONAL = ("segment_id",)


def _number(value: str) -> int | str | None:
    value = value.strip()
    if not value:
        return None
    return int(value) if value.lstrip("-").isdigit() and len(value) < 10 else value


def rule_body(survey_id: int, form: dict[str, str]) -> dict[str, Any]:
    """The JSON body of POST /api/v1/trigger-rules the rule form stands for (unchecked)."""
    delay = _number(form.get("delay_minutes", ""))
    body: dict[str, Any] = {
        "key": form.get("key", "").strip(),
        "name": form.get("name", "").strip(),
        "kind": form.get("kind", ""),
        "survey_id": survey_id,
        "channel": form.get("channel", ""),
        "delay_seconds": delay * 60 if isinstance(delay, int) else delay,
        "segment_id": _number(form.get("segment_id", "")),
    }
    if body["kind"] == "event":
        body["event_name"] = form.get("event_name", "").strip() or None
    else:
        body["anchor"] = form.get("anchor", "").strip() or None
        body["offset_days"] = _number(form.get("offset_days", ""))
        body["repeat_days"] = _number(form.get("repeat_days", ""))
    return {name: value for name, value in body.items() if value is not None}


_FORM_FIELD = {"delay_seconds": "delay_minutes", "survey_id": "form", "conditions": "form", "fallbacks": "form"}


def _form_field(name: str) -> str:
    return _FORM_FIELD.get(name, name) if name in (*RULE_FIELDS, *RULE_FIELDS_OPTIONAL, *_FORM_FIELD) else "form"


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
    form = {name: fields.get(name, "")[:300] for name in (*RULE_FIELDS, *RULE_FIELDS_OPTIONAL)}
    errors: dict[str, str] = {}
    try:
        data = TriggerRuleCreate.model_validate(rule_body(survey_id, form))
        made = triggers.rule_read(triggers.create_rule(session, data=data))
    except ValidationError as exc:
        for error in exc.errors():
            name = _form_field(str(error["loc"][0]) if error["loc"] else "form")
            errors.setdefault(name, survey_form.plain_words(error["type"], error["msg"], name))
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        fallback = FieldError("key", "is already taken") if isinstance(exc, TriggerRuleKeyTaken) else None
        for refused_field in exc.errors or [fallback or FieldError("form", str(exc))]:
            errors.setdefault(_form_field(refused_field.field.split(".")[0]), refused_field.message)
    if errors:
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
    rule = triggers.get_rule(session, rule_id=rule_id)
    if rule is None or rule.survey_id != survey_id:
        exc = NotFound(f"survey {survey_id} has no trigger rule {rule_id}")
        return refused(request, user, "No such trigger rule", exc, f"/surveys/{survey_id}", 404)
    before = triggers.rule_read(rule).model_dump()
    try:
        changed = triggers.update_rule(session, rule_id=rule_id, data=TriggerRuleUpdate(enabled=enabled == "1"))
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return refused(request, user, "The trigger rule was not changed", exc, f"/surveys/{survey_id}", 409)
    after = triggers.rule_read(changed)
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.trigger_rule_updated,
        target_id=rule_id,
        before=before,
        after=after.model_dump(),
    )
    return RedirectResponse(f"/surveys/{survey_id}#triggers", status_code=303)
