"""Mount the web app on the FastAPI app: static files, pages, and the error pages of its own exceptions."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cxloop.web import (
    account_page,
    anomalies_page,
    case_routes,
    dashboards_page,
    explorer,
    inbox_page,
    insights_page,
    journey_page,
    live,
    settings_channel_fields,
    settings_channels,
    settings_email,
    settings_page,
    settings_policy,
    settings_sla,
    settings_teams,
    settings_widget_rules,
    settings_widget_sites,
    stored_analysis,
    survey_builder,
    survey_preview,
    survey_triggers,
    surveys_page,
    themes_edit,
    themes_page,
)
from cxloop.web.auth import CsrfRefused, PageForbidden, SignInRequired, sign_in_url
from cxloop.web.filters import BadFilter
from cxloop.web.rendering import STATIC_PATH, render
from cxloop.web.routes import router

STATIC_DIR = Path(__file__).parent / "static"


def include_web(app: FastAPI) -> None:
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="web-static")
    app.include_router(case_routes.router)  # first: its /cases/{id}/notes is not an action of routes.py's
    app.include_router(router)
    app.include_router(inbox_page.router)
    app.include_router(explorer.router)
    app.include_router(themes_page.router)
    app.include_router(themes_edit.router)
    app.include_router(stored_analysis.router)
    app.include_router(journey_page.router)
    app.include_router(anomalies_page.router)
    app.include_router(insights_page.router)
    app.include_router(live.router)
    app.include_router(surveys_page.router)
    app.include_router(survey_builder.router)
    app.include_router(survey_triggers.router)
    app.include_router(survey_preview.router)
    app.include_router(settings_page.router)
    app.include_router(settings_teams.router)
    app.include_router(settings_sla.router)
    app.include_router(settings_channels.router)
    app.include_router(settings_widget_sites.router)
    app.include_router(settings_widget_rules.router)
    app.include_router(settings_email.router)
    app.include_router(settings_channel_fields.router)
    app.include_router(settings_policy.router)
    app.include_router(account_page.router)
    app.include_router(dashboards_page.router)
    app.add_exception_handler(SignInRequired, _sign_in_required)  # type: ignore[arg-type]
    app.add_exception_handler(PageForbidden, _forbidden)  # type: ignore[arg-type]
    app.add_exception_handler(CsrfRefused, _csrf_refused)  # type: ignore[arg-type]
    app.add_exception_handler(BadFilter, _bad_filter)  # type: ignore[arg-type]


async def _sign_in_required(request: Request, exc: SignInRequired) -> Response:
    target = sign_in_url(exc.next_url)
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _forbidden(request: Request, exc: PageForbidden) -> Response:
    return render(
        request,
        "message.html",
        user=exc.user,
        status_code=403,
        title="Not for your role",
        message=f"This page needs the {exc.role.value} role; you are signed in as {exc.user.role.value}. "
        "Ask an admin if you need it.",
    )


async def _csrf_refused(request: Request, exc: CsrfRefused) -> Response:
    return render(
        request,
        "message.html",
        user=getattr(request.state, "web_user", None),
        status_code=403,
        title="The form could not be sent",
        message=f"{exc}. Nothing was changed.",
    )


async def _bad_filter(request: Request, exc: BadFilter) -> Response:
    return render(
        request,
        "message.html",
        user=getattr(request.state, "web_user", None),
        status_code=400,
        title="That view cannot be shown",
        message="A filter in the address has a value that cannot be used.",
        field=exc.field,
        reason=exc.message,
        back=request.url.path,
        back_label="Show the page without filters",
    )
