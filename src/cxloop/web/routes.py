"""The web app's pages: sign-in and sign-out, the overview, customers, listening health, a case's status changes
(the inbox is inbox_page.py, the feedback explorer explorer.py).

Every page is a sync handler (run in the thread pool) on one unit of work; its role comes from `auth.page_role`,
the same ladder the API uses. Bad filters answer 400 with a page naming the field and the reason.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.errors import InvalidCredentials
from cxloop.analytics import metrics as metric_registry
from cxloop.analytics.enums import FatigueGroup, GroupKey, MetricKind
from cxloop.audit import service as audit
from cxloop.audit.enums import ActorKind, AuditAction
from cxloop.audit.sampling import failed_sign_ins
from cxloop.audit.schemas import AuditActor
from cxloop.branding.current import load_brand
from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction
from cxloop.cases.schemas import Actor as CaseActor
from cxloop.channels.hosted.limits import client_address, limiter
from cxloop.churn import service as churn
from cxloop.collection import service as collection
from cxloop.collection.enums import Channel
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import Conflict, InvalidInput, NotFound
from cxloop.core.int_bounds import Id
from cxloop.customers import service as customers
from cxloop.governance import channels as governance_channels
from cxloop.governance import consent
from cxloop.governance.purposes import Purpose
from cxloop.journeys import service as journeys
from cxloop.storage.deps import SessionDep, get_database
from cxloop.surveys import service as surveys
from cxloop.text import service as text
from cxloop.timeline import service as timeline
from cxloop.timeline.sources import View as TimelineView
from cxloop.web import anomalies_page, case_routes, overview, overview_tables, zones
from cxloop.web import service as web_sessions
from cxloop.web.auth import (
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    AgentPage,
    ViewerPage,
    check_origin,
    cookie_is_secure,
    current_user,
    require_csrf,
    signed_in,
    tokens_match,
    where,
)
from cxloop.web.csv_export import csv_export, table_header, table_rows
from cxloop.web.customer_tables import consent_table, customers_table
from cxloop.web.filters import PRESETS, BadFilter, View, parse_filters
from cxloop.web.rendering import render, user_zone
from cxloop.web.service import SESSION_LIFETIME, SignedIn

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
SIGN_IN_LIMIT = "web-sign-in"  # core/rate_limit.py LIMITS
PAGE_SIZE = 25
TZ = "UTC"


# Sign-in and sign-out ------------------------------------------------------------------------------------------------


def _safe_next(next_url: str | None) -> str:
    """Only a path of this site: never another host (`//evil`, `https://evil`)."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        return "/"
    parts = urlsplit(next_url)
    return next_url if not parts.netloc and not parts.scheme else "/"


def _sign_in_page(
    request: Request, *, next_url: str, email: str = "", error: str | None = None, status_code: int = 200
) -> Response:
    token = web_sessions.new_token()
    response = render(
        request,
        "login.html",
        user=None,
        status_code=status_code,
        next_url=next_url,
        email=email,
        error=error,
        csrf_token=token,
        title="Sign in",
    )
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(request),
        path="/login",
    )
    return response


@router.get("/login")
def sign_in_form(
    request: Request,
    session: SessionDep,
    next: Annotated[str | None, Query(max_length=2000)] = None,  # noqa: A002
) -> Response:
    if current_user(request, session) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _sign_in_page(request, next_url=_safe_next(next))


@router.post("/login", **body_cap("POST /login"))
def sign_in(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    next_url = _safe_next(next)
    check_origin(request)
    if not tokens_match(csrf_token, request.cookies.get(SIGN_IN_CSRF_COOKIE, "")):
        return _sign_in_page(
            request,
            next_url=next_url,
            email=email,
            error="The form was out of date. Please sign in again.",
            status_code=403,
        )
    address = client_address(request)
    attempts = limiter(request, SIGN_IN_LIMIT)
    for key in (f"ip|{address}", f"email|{email.strip().lower()[:320]}"):
        verdict = attempts.hit(key)
        if not verdict.allowed:
            response = _sign_in_page(
                request,
                next_url=next_url,
                email=email,
                error=f"Too many sign-in attempts. Try again in {verdict.retry_after_header} seconds.",
                status_code=429,
            )
            response.headers["Retry-After"] = verdict.retry_after_header
            return response
    if not email.strip() or not password:
        missing = "email" if not email.strip() else "password"
        return _sign_in_page(request, next_url=next_url, email=email, error=f"Enter your {missing}.", status_code=400)
    try:
        user = access.authenticate_user(session, email=email, password=password)
    except InvalidCredentials:
        _record_failed_sign_in(session, request)
        return _sign_in_page(
            request, next_url=next_url, email=email, error="The email or password is wrong.", status_code=401
        )
    token, _row = web_sessions.start_session(session, user_id=user.id)
    web_sessions.forget_expired(session)
    redirect = RedirectResponse(next_url, status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(request),
        path="/",
    )
    redirect.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/login")
    return redirect


def _record_failed_sign_in(session: Session, request: Request) -> None:
    here = where(request)
    attempts = failed_sign_ins.admit(here["ip"] or "unknown")
    if attempts:
        actor = AuditActor(kind=ActorKind.anonymous, **here)
        audit.record(session, actor=actor, action=AuditAction.sign_in_failed, changes={"attempts": attempts})


@router.post("/logout", dependencies=[Depends(require_csrf)], **body_cap("POST /logout"))
def sign_out(request: Request, session: SessionDep, _: Annotated[SignedIn, Depends(signed_in)]) -> Response:
    web_sessions.end_session(session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# Pages -----------------------------------------------------------------------------------------------------------


def view_of(request: Request, zone: str = zones.UTC_NAME) -> View:
    """The filters of the address, the preset ranges ending today in `zone`."""
    return parse_filters(request.query_params, today=zones.today_in(zone))


def range_zone_of(request: Request, user: SignedIn) -> str:
    """The zone whose days the user's date ranges count (web/zones.py): theirs when the rollups hold it, else UTC."""
    return zones.range_zone(user_zone(request, user), request.app.state.settings)


def _choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """(key, name) of everything the filter bar can pick (the first 200 of each)."""
    stages: dict[str, str] = {}
    touchpoints: dict[str, str] = {}
    for journey in journeys.list_journeys(session):
        stages |= {s.key: s.name for s in journeys.list_stages(session, journey_id=journey.id)}
        touchpoints |= {t.key: t.name for t in journeys.list_touchpoints(session, journey_id=journey.id)}
    return {
        "segment": [(s.key, s.name) for s in customers.list_segments(session, limit=200).items],
        "stage": list(stages.items())[:200],
        "touchpoint": list(touchpoints.items())[:200],
        "channel": [(c.value, c.value.replace("_", " ")) for c in Channel],
        "survey": [(s.key, s.name) for s in surveys.list_surveys(session, sort="key", limit=200).items],
    }


def filter_bar(session: Session, view: View, what: str) -> dict[str, Any]:
    """What the filter bar needs, and the page title naming what is shown and filtered."""
    choices = _choices(session)
    names = {f"{dim}:{key}": name for dim, options in choices.items() for key, name in options}
    return {"title": view.title(what, names), "view": view, "presets": PRESETS, "choices": choices}


def bad_filter(exc: InvalidInput) -> BadFilter:
    first = exc.errors[0] if exc.errors else None
    return BadFilter(first.field if first else "filter", first.message if first else str(exc))


OVERVIEW_BREAKDOWNS = (("channel", "Volume by channel"), ("segment", "By segment"), ("stage", "By journey stage"))


@router.get("/")
def overview_page(request: Request, session: SessionDep, user: ViewerPage, metric: str = "nps") -> Response:
    zone = range_zone_of(request, user)
    view = view_of(request, zone)
    if metric not in MetricKind.__members__:
        raise BadFilter("metric", f"'{metric[:20]}' is not one of: nps, csat, ces")
    kind = MetricKind(metric)
    minimum = metric_registry.min_n(kind)
    bucket = overview.trend_bucket(view)
    try:
        cards = overview.cards(request, session, view, zone)  # checks the filters at once, stored or not
        trend = overview.grouped(request, session, view, zone, kind, bucket)
        breakdowns = [
            (overview.grouped(request, session, view, zone, kind, GroupKey(dim)), dim, caption)
            for dim, caption in OVERVIEW_BREAKDOWNS
        ]
    except InvalidInput as exc:
        raise bad_filter(exc) from exc
    panels = [
        _breakdown_panel(found, kind, dim, caption, view=view, min_n=minimum) for found, dim, caption in breakdowns
    ]
    trend_figures = overview.trend_of(trend.result, bucket) if trend.result is not None else None
    return render(
        request,
        "overview.html",
        user=user,
        **filter_bar(session, view, overview.METRICS[kind]["name"]),
        metric=kind,
        metrics=overview.METRICS,
        cards=cards,
        trend=trend,
        trend_figures=trend_figures,
        bucket=bucket,
        trend_table=overview_tables.trend_table(trend_figures, kind) if trend_figures is not None else None,
        breakdowns=panels,
        breakdown_tables=[panel["table"] for panel in panels if panel["table"]],  # found by ?export= (web/tables.py)
        can_refresh=user.role.includes(Role.analyst),
        anomalies=anomalies_page.latest(session, since=datetime.combine(view.start, time.min, UTC)),
        min_n=minimum,
    )


def _breakdown_panel(
    found: overview.Grouped, kind: MetricKind, dim: str, caption: str, *, view: View, min_n: int
) -> dict[str, Any]:
    """One breakdown panel of the overview: its caption, its table (None while being computed) and the stored
    analysis it was read from (None when live)."""
    table = None
    if found.result is not None:
        groups = overview.largest_first(found.result)
        table = overview_tables.breakdown_table(
            groups, kind, dim, key=f"by-{dim}", caption=caption, min_n=min_n, view=view
        )
    return {"caption": caption, "key": f"by-{dim}", "table": table, "stored": found.stored}


@router.get("/partials/response-rates")
def response_rates_panel(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """The overview's response-rate panel, loaded after the page (counting invitations is its slowest part)."""
    view = view_of(request)
    rates = overview.response_rates(session, view, TZ, FatigueGroup.channel)
    table = overview_tables.rates_table(rates, "channel", min_n=metric_registry.DEFAULT_MIN_N, compact=True)
    return render(request, "_rates.html", user=user, rates=table, view=view)


def _customers_csv(request: Request, session: Session, *, q: str | None) -> Response:
    """Every customer the search finds (not only the page shown), as the list's CSV: streamed, at most EXPORT_ROWS."""

    def read(batch: Session, offset: int | None, limit: int) -> tuple[list[list[str]], int | None]:
        start = offset or 0
        found = customers.list_customers(batch, q=q, sort="-updated_at", limit=limit, offset=start)
        rows = table_rows(customers_table(customers.customer_reads(batch, found.items)))
        return rows, start + len(rows) if start + len(rows) < found.total else None

    return csv_export("customers", session, get_database(request), table_header(customers_table([])), read)


@router.get("/customers")
def customers_page(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    if request.query_params.get("export") == "customers":
        return _customers_csv(request, session, q=q.strip() or None)
    found = customers.list_customers(
        session, q=q.strip() or None, sort="-updated_at", limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render(
        request,
        "customers.html",
        user=user,
        title="Customers",
        customers=customers_table(customers.customer_reads(session, found.items)),
        total=found.total,
        page=page,
        pages=max(1, math.ceil(found.total / PAGE_SIZE)),
        q=q,
    )


@router.get("/customers/{customer_id:int}")
def customer_page(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    customer_id: Id,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    try:
        customer = customers.require_customer(session, customer_id=customer_id)
    except NotFound:
        return render(
            request,
            "message.html",
            user=user,
            status_code=404,
            title="No such customer",
            message=f"There is no customer with id {customer_id}. They may have been erased.",
        )
    read = customers.customer_reads(session, [customer])[0]
    view = TimelineView(case_scope=cases.scope_of(session, role=user.role, user_id=user.user_id), role=user.role)
    try:
        entries = timeline.customer_timeline(session, customer_id=customer_id, view=view, cursor=cursor, limit=50)
    except InvalidInput as exc:
        raise bad_filter(exc) from exc
    latest = collection.list_responses(session, customer=customer.external_id, sort="-submitted_at", limit=5)
    text.mask_shown(session, role=user.role, responses=latest.items)
    return render(
        request,
        "customer.html",
        user=user,
        title=read.name or read.email or read.external_id,
        customer=read,
        segments=customers.customer_segment_keys(session, customer_id=customer_id),
        consent=consent_table(_consent(session, customer_id)),
        churn_risk=churn.customer_risk(session, customer_id=customer_id),
        latest=latest.items,
        timeline=entries,
        now=utcnow(),
    )


def _consent(session: Session, customer_id: int) -> dict[str, dict[str, bool]]:
    """Purpose -> channel -> may it be used, from the customer's stored consent and the defaults."""
    states = consent.states_of(session, [customer_id]).get(customer_id, {})
    return {
        purpose.value: {
            channel: consent.allowed(states, channel, purpose) for channel in governance_channels.registry.names()
        }
        for purpose in Purpose
    }


@router.get("/listening")
def listening_page(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    by: Annotated[str, Query(max_length=20)] = "channel",
) -> Response:
    """Listening health: what happened to the invitations of the range, by channel, survey, touchpoint or policy."""
    if by not in FatigueGroup.__members__:
        raise BadFilter("by", f"'{by[:20]}' is not one of: {', '.join(FatigueGroup)}")
    view = view_of(request)
    rows = overview.response_rates(session, view, TZ, FatigueGroup(by))
    names: dict[str, str] = {}
    if by == FatigueGroup.survey:
        names = {str(s.id): s.name for s in surveys.list_surveys(session, limit=500).items}
    elif by == FatigueGroup.touchpoint:
        for journey in journeys.list_journeys(session):
            names |= {str(t.id): t.name for t in journeys.list_touchpoints(session, journey_id=journey.id)}
    return render(
        request,
        "listening.html",
        user=user,
        title=f"Listening health · {view.range_label}",
        view=view,
        presets=PRESETS,
        by=by,
        groups=list(FatigueGroup),
        rows=overview_tables.rates_table(rows, by, min_n=metric_registry.DEFAULT_MIN_N, names=names),
    )


@router.post(
    "/cases/{case_id:int}/{action}",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /cases/{case_id:int}/{action}"),
)
def change_case(
    request: Request,
    session: SessionDep,
    user: AgentPage,
    case_id: Id,
    action: str,
    resolution: Annotated[str, Form(max_length=2000)] = "",
    root_cause: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/cases",
) -> Response:
    """Acknowledge, start, resolve (with a root cause from the case page), close or reopen; back to the inbox with
    the same filters, or to the case page."""
    if action not in CaseAction.__members__:
        return render(
            request,
            "message.html",
            user=user,
            status_code=404,
            title="No such action",
            message=f"'{action[:20]}' is not something a case can do.",
            back="/cases",
        )
    scope = cases.scope_of(session, role=user.role, user_id=user.user_id)
    try:
        cases.transition(
            session,
            case_id=case_id,
            action=CaseAction(action),
            actor=CaseActor(user.display_name, user.user_id),
            scope=scope,
            resolution=resolution.strip() or None,
            root_cause=root_cause or None,
        )
    except (Conflict, InvalidInput, NotFound) as exc:
        session.rollback()
        return case_routes.refused(request, user, exc, back="/cases", back_label="Back to the inbox")
    back = _safe_next(back)
    return RedirectResponse(back if back.startswith("/cases") else "/cases", status_code=303)
