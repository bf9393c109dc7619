"""Settings · Channels, a widget site's prompt rules (admins, as PATCH /api/v1/widget-sites/{id} with `rules`): the
ordered rules as the rows of one form (web/widget_rule_form.py), sent whole as the API's `SiteUpdate(rules=…)`,
which replaces every rule; through the widget's service, audited as the API does (`widget_site.updated`, the rules
before and after) and forgotten by this process's site cache at once (docs/channels-widget.md). Each refusal (a
survey that does not exist, a sampling share of 0) comes back beside its cell; the sampling share is in per cent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from cxloop.branding.current import load_brand
from cxloop.channels.widget import service as widget
from cxloop.channels.widget.errors import SiteNotFound
from cxloop.channels.widget.schemas import SiteUpdate
from cxloop.core.body_caps import body_cap
from cxloop.core.errors import CxloopError
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AdminPage
from cxloop.web.forms import Errors, FormRefused, Typed, form_refusal, validation_errors
from cxloop.web.posted_form import posted_fields
from cxloop.web.settings_channels import channels_page
from cxloop.web.settings_page import CSRF, back_to
from cxloop.web.settings_widget_sites import PATH, read_site, record_site_update
from cxloop.web.widget_rule_form import PARTS, compact, filled

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])


def _rules(rows: Typed) -> list[dict[str, Any]]:
    """The rows as the API's PromptRuleSpec takes them; FormRefused naming each number that is not one."""
    rules: list[dict[str, Any]] = []
    errors: Errors = {}
    for i in range(filled(rows)):
        row = {part: rows[f"rule{i}-{part}"].strip() for part in PARTS}
        seconds, percent = row["seconds_on_page"] or "0", row["sampling_percent"].removesuffix("%") or "100"
        if not seconds.isdigit():
            errors[f"rule{i}-seconds_on_page"] = f"'{seconds}' is not a whole number of seconds (0: at once)"
        try:
            share = float(percent.replace(",", "."))
        except ValueError:
            share = -1.0
        if not 0 < share <= 100:
            errors[f"rule{i}-sampling_percent"] = "give a share above 0 and at most 100 %, e.g. 25"
        rules.append(
            {
                "survey": row["survey"],
                "url_match": row["url_match"] or None,
                "event": row["event"] or None,
                "seconds_on_page": int(seconds) if seconds.isdigit() else 0,
                "sampling_rate": share / 100,
            }
        )
    if errors:
        raise FormRefused.of(errors)
    return rules


def _refusal(exc: Exception) -> tuple[Errors, int]:
    """The refused cells, named as the form names them: the schema and the service name a rule's field by its path
    (`rules.2.survey`, `rules.2.sampling_rate`); a refusal of the whole list is named `rules`."""
    if isinstance(exc, ValidationError):
        errors, status = validation_errors(exc, whole_path=True), 422
    else:
        errors, status = form_refusal(exc, field="rules")
    named: Errors = {}
    for name, message in errors.items():
        parts = name.split(".")
        if parts[0] == "rules" and len(parts) == 3:
            part = "sampling_percent" if parts[2] == "sampling_rate" else parts[2]
            name = f"rule{parts[1]}-{part}"
        named[name] = message
    return named, status


@router.post(
    f"{PATH}/widget-sites/{{site_id:int}}/rules",
    dependencies=CSRF,
    **body_cap(f"POST {PATH}/widget-sites/{{site_id:int}}/rules"),
)
def save_rules(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    site_id: Id,
    fields: Annotated[dict[str, str], Depends(posted_fields)],
    rule0_survey: Annotated[str, Form(alias="rule0-survey", max_length=64)] = "",  # noqa: ARG001 - read with the rest
) -> Response:
    """Replace the site's rules with the rows, in their order (the first rule that holds is used)."""
    rows = compact(fields)
    try:
        before = read_site(request, session, site_id)
        widget.update_site(session, site_id=site_id, data=SiteUpdate(rules=_rules(rows)))
    except (FormRefused, ValidationError, CxloopError) as exc:
        session.rollback()
        errors, status = _refusal(exc)
        gone = f"{exc}. Nothing was changed." if isinstance(exc, SiteNotFound) else None
        return channels_page(
            request,
            session,
            user,
            status_code=status,
            form_id=f"rules-{site_id}",
            errors=errors,
            values=rows,
            page_error=gone,
        )
    record_site_update(request, session, user, before)
    return back_to(PATH, "rules-saved")
