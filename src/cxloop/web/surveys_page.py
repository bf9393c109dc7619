"""The surveys list (/surveys): each survey's life cycle, version, headline metric over the last 90 days (with its
interval and n), responses, invitations answered of those sent (with the Wilson interval of the rate) and last
response; a new draft from a template in one click; and the life-cycle buttons the builder shows (publish, pause,
close, reopen), which change the status exactly as PATCH /api/v1/surveys does, with the same audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.analytics import metrics as metric_registry
from cxloop.analytics import service as analytics
from cxloop.analytics import survey_responses
from cxloop.analytics.enums import FatigueGroup, GroupKey, MetricKind
from cxloop.analytics.fatigue import FatigueRow, fatigue_report
from cxloop.analytics.schemas import MetricGroup, MetricQuery
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
from cxloop.surveys.schemas import SurveyUpdate
from cxloop.web import overview
from cxloop.web.auth import AnalystPage, ViewerPage, require_csrf, web_actor
from cxloop.web.rendering import render
from cxloop.web.service import SignedIn
from cxloop.web.survey_builder import current_read

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
LIST_SIZE = 200  # the list shows the most recently changed this many surveys
METRIC_DAYS = 90


@dataclass(frozen=True)
class SurveyRow:
    """One line of the list."""

    id: int
    key: str
    name: str
    status: SurveyStatus  # what a person set
    effective: SurveyStatus  # what the clock and the response count make of it
    version: int
    metric: MetricKind | None  # the first score question's metric
    value: MetricGroup | None
    responses: int
    last_response: datetime | None
    invitations: FatigueRow | None


def _metric_of(definition: dict[str, object]) -> MetricKind | None:
    for spec in definition.get("questions") or []:  # type: ignore[attr-defined]
        if spec["kind"] in MetricKind.__members__:
            return MetricKind(spec["kind"])
    return None


def _metric_values(session: Session, kinds: set[MetricKind]) -> dict[tuple[MetricKind, str], MetricGroup]:
    """(metric, survey key) -> the metric over the last METRIC_DAYS days, one grouped query per metric."""
    end = utcnow().date()
    found: dict[tuple[MetricKind, str], MetricGroup] = {}
    for kind in sorted(kinds):
        query = MetricQuery(
            metric=kind, group_by=[GroupKey.survey], start=end - timedelta(days=METRIC_DAYS - 1), end=end
        )
        for group in analytics.compute_metric(session, query=query).groups:
            found[(kind, str(group.keys.get("survey")))] = group
    return found


def survey_rows(session: Session) -> tuple[list[SurveyRow], int]:
    """The list's rows (the LIST_SIZE most recently changed surveys) and how many surveys there are."""
    page = surveys.list_surveys(session, sort="-updated_at", limit=LIST_SIZE)
    definitions = surveys.current_definitions(session, surveys=page.items)
    activity = survey_responses.survey_activity(session, survey_ids=[s.id for s in page.items])
    invited = {row.group: row for row in fatigue_report(session, group_by=FatigueGroup.survey.value)}
    metrics = {s.id: _metric_of(definitions[s.id]) for s in page.items}
    values = _metric_values(session, {kind for kind in metrics.values() if kind is not None})
    now = utcnow()
    rows = []
    for survey in page.items:
        count, last = activity.get(survey.id, (0, None))
        kind = metrics[survey.id]
        rows.append(
            SurveyRow(
                id=survey.id,
                key=survey.key,
                name=survey.name,
                status=SurveyStatus(survey.status),
                effective=lifecycle.effective_status(survey, now=now, responses=count),
                version=survey.current_version,
                metric=kind,
                value=values.get((kind, survey.key)) if kind else None,
                responses=count,
                last_response=last,
                invitations=invited.get(str(survey.id)),
            )
        )
    return rows, page.total


@router.get("/surveys")
def surveys_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """Every survey with its life cycle and what it collected; the templates one click away."""
    rows, total = survey_rows(session)
    return render(
        request,
        "surveys.html",
        user=user,
        title="Surveys",
        rows=rows,
        total=total,
        templates=[(t.key, t.name, len(t.definition.questions)) for t in templates.all_templates()],
        can_edit=user.role.includes(Role.analyst),
        metric_days=METRIC_DAYS,
        metrics=overview.METRICS,
        min_n=metric_registry.DEFAULT_MIN_N,
        now=utcnow(),
    )


def refused(request: Request, user: SignedIn, title: str, exc: Exception, back: str, status_code: int) -> Response:
    """The page of a change that was refused: each field and its reason, and that nothing changed."""
    errors = getattr(exc, "errors", None)
    reason = "; ".join(f"{e.field}: {e.message}" for e in errors) if errors else str(exc)
    return render(
        request,
        "message.html",
        user=user,
        status_code=status_code,
        title=title,
        message=f"{reason}. Nothing was changed.",
        back=back,
        back_label="Back",
    )


def _free_key(session: Session, key: str) -> str:
    """`key`, or `key-2`, `key-3`... when taken."""
    candidates = (key if n == 1 else f"{key[:60]}-{n}" for n in range(1, 1000))
    return next(c for c in candidates if surveys.get_survey(session, key=c) is None)


@router.post(
    "/surveys/templates/{template_key}",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /surveys/templates/{template_key}"),
)
def create_from_template(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    template_key: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",  # noqa: ARG001 - checked by require_csrf
) -> Response:
    """A new draft survey from a template (its key made unique), opened in the builder."""
    if template_key not in templates.TEMPLATE_KEYS:
        exc = NotFound(f"template: '{template_key[:40]}' is not one of {', '.join(templates.TEMPLATE_KEYS)}")
        return refused(request, user, "No such template", exc, "/surveys", 404)
    template = templates.get_template(template_key)
    data = template.model_copy(update={"key": _free_key(session, template.key), "status": SurveyStatus.draft})
    made = surveys.create_survey(session, data=data)
    read = surveys.survey_read(made, data.definition.to_document())
    actor = web_actor(request, user)
    audit.record(session, actor=actor, action=AuditAction.survey_created, target_id=made.id, after=snapshot(read))
    return RedirectResponse(f"/surveys/{made.id}", status_code=303)


@router.post(
    "/surveys/{survey_id:int}/status",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /surveys/{survey_id:int}/status"),
)
def change_status(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    survey_id: Id,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Publish, pause, close or reopen, as the life cycle allows (409 in words otherwise)."""
    back = f"/surveys/{survey_id}"
    if status not in SurveyStatus.__members__:
        exc = InvalidInput(f"status: '{status[:20]}' is not one of {', '.join(SurveyStatus)}")
        return refused(request, user, "The survey was not changed", exc, back, 422)
    try:
        before = snapshot(current_read(session, survey_id))
        after = current_read(
            session,
            surveys.update_survey(session, survey_id=survey_id, data=SurveyUpdate(status=SurveyStatus(status))).id,
        )
    except NotFound as exc:
        return refused(request, user, "No such survey", exc, "/surveys", 404)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return refused(request, user, "The survey was not changed", exc, back, 409)
    actor = web_actor(request, user)
    action = update_action(before, after)
    audit.record(session, actor=actor, action=action, target_id=survey_id, before=before, after=snapshot(after))
    return RedirectResponse(back, status_code=303)
