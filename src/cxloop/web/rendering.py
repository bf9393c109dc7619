"""HTML responses of the web app: the Jinja environment, the navigation, and the headers every page carries.

The Content-Security-Policy lets pages run only this server's own scripts (HTMX, ECharts, app.js) and styles, plus
the branding colours as one inline stylesheet allowed by its hash; no inline script, nothing from another host.
Chart data travels in `<script type="application/json">` blocks, which the browser never runs.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from cxloop import __version__
from cxloop.access.enums import Role
from cxloop.branding import current
from cxloop.web.csv_export import download_headers
from cxloop.web.filters import BadFilter
from cxloop.web.service import SignedIn
from cxloop.web.tables import csv_text, tables_in
from cxloop.web.tables import figure as number
from cxloop.web.zones import UTC_NAME, local_time, shown_zone

STATIC_PATH = "/static/web"


@dataclass(frozen=True)
class NavItem:
    """One entry of the left navigation. `path` None: the page is not built yet and shows as "coming"."""

    label: str
    path: str | None
    role: Role = Role.viewer


# The one list of the app's sections, in the order UI.md gives them.
NAVIGATION = (
    NavItem("Overview", "/"),
    NavItem("Journey", "/journey"),
    NavItem("Feedback", "/feedback"),
    NavItem("Customers", "/customers"),
    NavItem("Cases", "/cases", Role.agent),
    NavItem("Themes", "/themes"),
    NavItem("Surveys", "/surveys"),
    NavItem("Listening health", "/listening"),
    NavItem("Anomalies", "/anomalies"),
    NavItem("Analyses", "/insights"),
    NavItem("Dashboards", "/dashboards"),
    NavItem("Settings", "/settings", Role.analyst),  # analysts: the SLA policies tab
)


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


@cache
def security_headers(inline_style: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; "
            f"style-src 'self' 'sha256-{_digest(inline_style)}'; img-src 'self' data:; connect-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        ),
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex, nofollow",
    }


def time_ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 h ago', '2 d ago': the short form of a past instant (the exact time goes in a title beside it)."""
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


@pass_context
def _local_time(context: Context, moment: datetime | None) -> str:
    """The template filter `local_time`: the instant in the zone of the page's reader (`zone`)."""
    return local_time(moment, context.get("zone") or UTC_NAME)


def user_zone(request: Request, user: SignedIn | None) -> str:
    """The zone the signed-in user reads times in (web/zones.py)."""
    return shown_zone(user.timezone if user else None, request.app.state.settings)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cxloop.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=STATIC_PATH, version=__version__, navigation=NAVIGATION)
    env.filters.update(time_ago=time_ago, number=number, local_time=_local_time)
    return env


def brand_style() -> str:
    brand = current.brand()
    return f":root{{--brand:{brand.colour};--on-brand:{brand.text_on_colour}}}"


def render(
    request: Request,
    template: str,
    *,
    user: SignedIn | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page of the app, in the organisation's branding, for `user` (None on the sign-in page).

    With `?export=<key>` in the address, a page that has a table of that key (web/tables.py) answers it as CSV
    instead: the same rows, from the same handler, with the same role and filters."""
    export = request.query_params.get("export")
    tables = tables_in(context) if export else {}
    if export and tables:
        if export not in tables:
            raise BadFilter("export", f"'{export[:40]}' is not a table of this page: {', '.join(tables)}")
        return csv_response(tables[export].key, csv_text(tables[export]))
    style = brand_style()
    brand = current.brand()
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            user=user,
            brand_style=style,
            workspace=brand.organisation_name or "cxloop",
            path=request.url.path,
            zone=user_zone(request, user),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers={**security_headers(style), **(headers or {})})


def csv_response(name: str, body: str) -> Response:
    """A CSV download named cxloop-<name>.csv."""
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers=download_headers(name),
    )
