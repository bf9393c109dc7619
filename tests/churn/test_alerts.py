"""An alert rule on `churn_risk` fires on feedback from customers the latest scoring puts at risk, never on those
below the threshold nor on customers not scored."""

from __future__ import annotations

from cxloop.churn import service as churn
from cxloop.storage.database import Database
from tests.alerts.conftest import add_rule, add_survey, fired, store_responses
from tests.factories.churn import NOW, plant_world


def test_a_churn_risk_rule_fires_for_customers_at_risk(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        plant_world(session, customers=600)
        churn.train(session, now=NOW)
        churn.score_customers(session, now=NOW)
        page = churn.list_customers(session, limit=500)
    high, low = page.items[0], page.items[-1]
    assert high.probability >= 0.3 > low.probability
    add_survey(db)
    rule = add_rule(db, {"field": "churn_risk", "op": ">=", "value": 0.3}, {"field": "nps", "op": "<=", "value": 8})
    ids = store_responses(
        db,
        {"nps": 5, "customer_external_id": high.external_id},
        {"nps": 5, "customer_external_id": low.external_id},
        {"nps": 5, "customer_external_id": "never-scored"},
    )
    assert fired(db, rule) == [("response", ids[0])]
