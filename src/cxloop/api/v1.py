"""The /api/v1 assembly: every domain's router, mounted in one place."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from cxloop.access.routes import router as access_router
from cxloop.alerts.routes import router as alerts_router
from cxloop.analytics.analysis_routes import router as analysis_router
from cxloop.analytics.driver_routes import router as drivers_router
from cxloop.analytics.fatigue_routes import router as fatigue_router
from cxloop.analytics.outcome_routes import router as outcome_router
from cxloop.analytics.routes import router as analytics_router
from cxloop.api.audit import router as audit_router
from cxloop.api.health import router as health_router
from cxloop.api.outbox import router as outbox_router
from cxloop.api.stream import router as stream_router
from cxloop.branding.routes import router as branding_router
from cxloop.cases.follow_up_routes import router as follow_ups_router
from cxloop.cases.report_routes import router as case_reports_router
from cxloop.cases.routes import router as cases_router
from cxloop.channels.reviews.routes import router as reviews_router
from cxloop.channels.widget.routes import router as widget_router
from cxloop.churn.routes import router as churn_router
from cxloop.collection.routes import router as collection_router
from cxloop.customers.routes import router as customers_router
from cxloop.dashboards.routes import router as dashboards_router
from cxloop.experiments.routes import router as experiments_router
from cxloop.governance.routes import router as governance_router
from cxloop.invitations.routes import router as invitations_router
from cxloop.journeys.routes import router as journeys_router
from cxloop.maturity.routes import router as maturity_router
from cxloop.notifications.routes import me_router as my_digest_router
from cxloop.notifications.routes import people_router as digest_preferences_router
from cxloop.notifications.routes import router as notifications_router
from cxloop.privacy.routes import router as privacy_router
from cxloop.surveys.routes import router as surveys_router
from cxloop.text.routes import router as text_router
from cxloop.text.themes.routes import router as themes_router
from cxloop.timeline.routes import router as timeline_router
from cxloop.triggers.routes import router as triggers_router

PREFIX = "/api/v1"
# Collection first: the ingestion endpoints take most requests, and routes are matched in order.
ROUTERS: list[APIRouter] = [
    collection_router,
    health_router,
    access_router,
    customers_router,
    journeys_router,
    surveys_router,
    analytics_router,
    analysis_router,
    outcome_router,
    churn_router,
    drivers_router,
    governance_router,
    invitations_router,
    fatigue_router,
    reviews_router,
    triggers_router,
    widget_router,
    outbox_router,
    branding_router,
    privacy_router,
    audit_router,
    cases_router,
    case_reports_router,
    follow_ups_router,
    notifications_router,
    digest_preferences_router,
    my_digest_router,
    timeline_router,
    stream_router,
    alerts_router,
    text_router,
    themes_router,
    experiments_router,
    maturity_router,
    dashboards_router,
]


def include_routers(app: FastAPI) -> None:
    """Mount every domain router under /api/v1, each directly on the app (one level of routing, not two)."""
    for domain_router in ROUTERS:
        app.include_router(domain_router, prefix=PREFIX)
