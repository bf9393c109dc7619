"""Every domain's models, imported so Base.metadata knows all tables (for Alembic and tests)."""

from cxloop.access import models as access_models
from cxloop.collection import models as collection_models
from cxloop.customers import models as customers_models
from cxloop.journeys import models as journeys_models
from cxloop.storage.base import Base
from cxloop.surveys import models as surveys_models

MODEL_MODULES = (access_models, journeys_models, surveys_models, customers_models, collection_models)
metadata = Base.metadata
