"""Every domain's models, imported so Base.metadata knows all tables (for Alembic and tests)."""

from cxloop.access import models as access_models
from cxloop.alerts import models as alerts_models
from cxloop.analytics import models as analytics_models
from cxloop.audit import models as audit_models
from cxloop.branding import models as branding_models
from cxloop.cases import models as cases_models
from cxloop.channels.configuration import models as channel_configuration_models
from cxloop.channels.widget import models as widget_models
from cxloop.churn import models as churn_models
from cxloop.collection import models as collection_models
from cxloop.customers import models as customers_models
from cxloop.dashboards import models as dashboards_models
from cxloop.experiments import models as experiments_models
from cxloop.governance import models as governance_models
from cxloop.invitations import models as invitations_models
from cxloop.jobs import models as jobs_models
from cxloop.journeys import models as journeys_models
from cxloop.notifications import models as notifications_models
from cxloop.precomputed import models as precomputed_models
from cxloop.privacy import models as privacy_models
from cxloop.storage.base import Base
from cxloop.surveys import models as surveys_models
from cxloop.text import models as text_models
from cxloop.text.themes import models as themes_models
from cxloop.triggers import models as triggers_models
from cxloop.web import models as web_models

MODEL_MODULES = (
    access_models,
    journeys_models,
    surveys_models,
    customers_models,
    collection_models,
    governance_models,
    triggers_models,
    invitations_models,
    widget_models,
    channel_configuration_models,
    analytics_models,
    jobs_models,
    branding_models,
    privacy_models,
    audit_models,
    cases_models,
    notifications_models,
    alerts_models,
    text_models,
    web_models,
    dashboards_models,
    themes_models,
    experiments_models,
    churn_models,
    precomputed_models,
)
metadata = Base.metadata
