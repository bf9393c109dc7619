"""Alert rules on anomalies (docs/alerts.md#rules-on-anomalies): a real scan over a planted drop stores anomalies and
emits `anomaly.detected`, the real relay fires the matching anomaly rules exactly once per (rule, anomaly) however
often the event is handled, the dry run counts the stored anomalies, and `alert.fired` reaches a signed webhook at a
real local receiver carrying the anomaly (validated against docs/webhooks/message.schema.json). Rules that mix
feedback and anomaly fields, or try to open a case on an anomaly, are 422s naming the field. Both databases."""

from __future__ import annotations

from typing import Any

import jsonschema
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from cxloop.analytics import anomalies
from cxloop.jobs import service as outbox
from cxloop.notifications import emails, slack
from cxloop.storage.database import Database
from tests.alerts.conftest import fired, relay
from tests.alerts.test_api import errors_of
from tests.analytics.test_anomalies import AS_OF, DROP_WEEK, build
from tests.notifications.conftest import sender
from tests.notifications.receiver import Receiver
from tests.notifications.receiver import receiver as receiver  # noqa: F401 - the fixture
from tests.notifications.test_anomaly_messages import SAMPLE, SCHEMA

ENTERPRISE_DROP: dict[str, Any] = {
    "name": "Enterprise NPS drops",
    "source": "anomaly",
    "conditions": [
        {"field": "metric", "op": "=", "value": "nps"},
        {"field": "segment", "op": "=", "value": "enterprise"},
        {"field": "direction", "op": "=", "value": "drop"},
        {"field": "change", "op": "<=", "value": -20},
        {"field": "q_value", "op": "<=", "value": 0.05},
    ],
    "actions": [{"kind": "notify"}, {"kind": "tag", "tags": ["nps-drop"]}],
}


def test_an_anomaly_rule_fires_once_per_anomaly_and_reaches_a_webhook(
    api: TestClient, db: Database, receiver: Receiver
) -> None:
    hook = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["alert.fired"]}).json()
    build(db)  # segments Enterprise and SMB; Enterprise NPS drops in the week of 2 Nov, SMB does not
    made = api.post("/api/v1/alert-rules", json={**ENTERPRISE_DROP, "enabled": True})
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["source"] == "anomaly"
    smb = {**ENTERPRISE_DROP, "name": "SMB", "enabled": True}
    smb["conditions"] = [{"field": "segment", "op": "=", "value": "smb"}]
    smb_rule = api.post("/api/v1/alert-rules", json=smb).json()
    feedback_rule = api.post(
        "/api/v1/alert-rules",
        json={
            "name": "any",
            "enabled": True,
            "conditions": [{"field": "nps", "op": ">=", "value": 0}],
            "actions": [{"kind": "notify"}],
        },
    ).json()
    assert feedback_rule["source"] == "feedback"  # the default

    with db.unit_of_work(write=True) as session:
        report = anomalies.scan(session, weeks=1, days=0, as_of=AS_OF)
    stored = {a.series: a for a in _stored(db)}
    drop = stored["nps/segment:enterprise/week"]
    assert report.new == len(stored) >= 2  # the Enterprise drop and the drop of all customers

    tried = api.post(f"/api/v1/alert-rules/{rule['id']}/try", params={"days": 30}).json()
    assert (tried["matches"], tried["anomalies"], tried["responses"]) == (1, 1, 0)
    assert tried["examined"] == len(stored)

    relay(db)
    for _ in range(2):  # the same event handled twice more: no second alert, no second alert.fired
        with db.unit_of_work(write=True) as session:
            assert outbox.replay_events(session, name="anomaly.detected") == 1
        relay(db)
    assert fired(db, rule["id"]) == [("anomaly", drop.id)]
    assert fired(db, smb_rule["id"]) == [] and fired(db, feedback_rule["id"]) == []

    assert sender(db).run_pass() == 1
    [got] = receiver.requests
    body = Webhook(hook["secret"]).verify(got.body, got.headers)
    jsonschema.validate(body, SCHEMA, format_checker=jsonschema.FormatChecker())
    [alert] = body["data"]["alerts"]
    assert (alert["source"], alert["customer"], alert["item"], alert["case_id"]) == ("anomaly", None, None, None)
    assert alert["tags"] == ["nps-drop"]
    assert alert["rule"]["source"] == "anomaly"
    assert "segment = 'enterprise'" in alert["rule"]["condition"]
    anomaly = alert["anomaly"]
    assert (anomaly["id"], anomaly["series"], anomaly["direction"]) == (drop.id, drop.series, "drop")
    assert anomaly["period_start"] == DROP_WEEK.isoformat() and anomaly["explanation"] == drop.explanation
    assert anomaly["change"] == drop.value - drop.baseline <= -20
    shown = api.get("/api/v1/alerts", params={"alert_id": body["data"]["alert_ids"]}).json()
    assert [(a["source"], a["source_id"], a["customer_id"]) for a in shown] == [("anomaly", drop.id, None)]


def test_fields_of_the_other_source_and_cases_on_anomalies_are_refused(api: TestClient) -> None:
    def refused(
        source: str, *conditions: dict[str, Any], actions: list[dict[str, Any]] | None = None
    ) -> dict[str, str]:
        body = {
            "name": "x",
            "source": source,
            "conditions": list(conditions),
            "actions": actions or [{"kind": "notify"}],
        }
        return errors_of(api.post("/api/v1/alert-rules", json=body))

    nps = refused(
        "anomaly", {"field": "direction", "op": "=", "value": "drop"}, {"field": "nps", "op": "<=", "value": 6}
    )
    assert list(nps) == ["conditions[1].field"]
    assert "'nps' is a field of feedback rules, not of anomaly rules" in nps["conditions[1].field"]
    assert "known fields: metric, kind, direction" in nps["conditions[1].field"]
    direction = refused("feedback", {"field": "direction", "op": "=", "value": "drop"})
    assert "'direction' is a field of anomaly rules, not of feedback rules" in direction["conditions[0].field"]
    case = refused(
        "anomaly", {"field": "metric", "op": "=", "value": "nps"}, actions=[{"kind": "notify"}, {"kind": "open_case"}]
    )
    assert list(case) == ["actions[1].kind"] and "cannot open a case" in case["actions[1].kind"]
    touchpoint = refused("anomaly", {"field": "touchpoint", "op": "=", "value": "checkout"})["conditions[0].value"]
    assert "touchpoint is an id" in touchpoint  # by id, as in feedback rules (tests/analytics/test_anomaly_touchpoints)
    sideways = refused("anomaly", {"field": "direction", "op": "=", "value": "sideways"})["conditions[0].value"]
    assert "direction is one of drop, rise, surge" in sideways
    assert "0-1 scale" in refused("anomaly", {"field": "q_value", "op": "<=", "value": 5})["conditions[0].value"]
    assert "no segment" in refused("anomaly", {"field": "segment", "op": "=", "value": "vip"})["conditions"]
    assert "source" in errors_of(
        api.post("/api/v1/alert-rules", json={"name": "x", "source": "weather", "conditions": [], "actions": []})
    )
    draft = {
        "name": "x",
        "source": "anomaly",
        "conditions": [{"field": "nps", "op": "<=", "value": 6}],
        "actions": [{"kind": "notify"}],
    }
    assert "conditions[0].field" in errors_of(api.post("/api/v1/alert-rules/try", json={"rule": draft}))

    rule = api.post("/api/v1/alert-rules", json=ENTERPRISE_DROP | {"conditions": ENTERPRISE_DROP["conditions"][:1]})
    assert rule.status_code == 201, rule.text
    path = f"/api/v1/alert-rules/{rule.json()['id']}"
    patched = errors_of(api.patch(path, json={"conditions": [{"field": "csat", "op": "<=", "value": 2}]}))
    assert "'csat' is a field of feedback rules" in patched["conditions[0].field"]
    assert "actions[0].kind" in errors_of(api.patch(path, json={"actions": [{"kind": "open_case"}]}))
    assert "source" in errors_of(api.patch(path, json={"source": "feedback"}))  # fixed when the rule is made
    assert api.get(path).json()["version"] == 1


def _stored(db: Database) -> list[Any]:
    with db.unit_of_work() as session:
        return anomalies.list_anomalies(session)


def test_slack_and_email_tell_an_anomaly_alert_by_its_sentence_and_figures() -> None:
    anomaly = SAMPLE
    alert = {
        "id": 1,
        "rule": {"id": 1, "name": "Drops", "version": 1, "source": "anomaly", "condition": "direction = 'drop'"},
        "source": "anomaly",
        "customer_id": None,
        "customer": None,
        "item": None,
        "anomaly": anomaly,
        "case_id": None,
        "tags": [],
        "fired_at": "2026-11-11T04:00:00Z",
    }
    body = {"type": "alert.fired", "timestamp": "2026-11-11T04:00:00Z", "data": {"alert_ids": [1], "alerts": [alert]}}
    [section] = [b for b in slack.blocks(body, public_url="https://cx.example.com")["blocks"] if b["type"] == "section"]
    lines = section["text"]["text"].splitlines()
    assert lines[0] == "*Drops* · when `direction = 'drop'`"
    assert lines[1] == anomaly["explanation"]
    assert lines[2].startswith("nps · Enterprise &lt;beta&gt; · week of 2026-11-02 · drop:")
    assert "customer" not in section["text"]["text"]
    mail = emails.letter(body, public_url="https://cx.example.com")
    assert mail.subject == "cxloop alert: Drops"
    assert anomaly["explanation"] in mail.text and "n = 40 vs 320" in mail.text
    assert "Customer:" not in mail.text and "All anomalies: https://cx.example.com/anomalies" in mail.text
    gone = emails.letter(body | {"data": {"alert_ids": [1], "alerts": [alert | {"anomaly": None}]}}, public_url="x")
    assert "(the anomaly is gone)" in gone.text
