"""alert.fired and case.created messages with substance: the rule and its condition in words, the score, the trimmed
comment, the customer with account and ARR, survey and touchpoint, and the case link; the same facts reach a signed
webhook (validated against docs/webhooks/message.schema.json), Slack (Block Kit) and email (a real SMTP server)."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

import jsonschema
import orjson

from cxloop.core.config import Settings
from cxloop.notifications.enums import DestinationKind
from cxloop.storage.database import Database
from cxloop.worker import build_sender
from tests.alerts.conftest import add_rule, add_survey, store_responses
from tests.factories.customers import make_account, make_customer
from tests.jobs.conftest import SmtpServer
from tests.jobs.conftest import smtp_server as smtp_server  # noqa: F401 - the fixture
from tests.notifications.conftest import FAST, add_destination, sender
from tests.notifications.receiver import Receiver

SCHEMA = json.loads((Path(__file__).parents[2] / "docs/webhooks/message.schema.json").read_text())
COMMENT = "I asked for a refund twice and nobody answered. " * 20  # 980 characters: trimmed to 500


def _fire(db: Database) -> list[int]:
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        make_account(session, external_id="acme", name="Acme Ltd", plan="enterprise", arr="120000")
        make_customer(session, external_id="c-42", name="Jane Roe", account_external_id="acme")
    add_rule(
        db,
        {"field": "nps", "op": "<=", "value": 6},
        {"field": "comment", "op": "contains", "value": "refund"},
        actions=[{"kind": "notify"}, {"kind": "open_case", "priority": "high"}],
    )
    return store_responses(db, {"nps": 2, "comment": COMMENT, "customer_external_id": "c-42"})


def test_webhook_and_slack_alert_messages_carry_the_facts(db: Database, receiver: Receiver) -> None:
    add_destination(db, receiver.url, events=["alert.fired", "case.created"])
    add_destination(db, receiver.url, kind=DestinationKind.slack, events=["alert.fired"])
    [response_id] = _fire(db)
    assert sender(db).run_pass() == 3
    signed = [orjson.loads(r.body) for r in receiver.requests if "webhook-signature" in r.headers]
    [slack] = [orjson.loads(r.body) for r in receiver.requests if "webhook-signature" not in r.headers]
    by_type = {body["type"]: body for body in signed}
    for body in signed:
        jsonschema.validate(body, SCHEMA, format_checker=jsonschema.FormatChecker())

    [alert] = by_type["alert.fired"]["data"]["alerts"]
    assert alert["rule"]["name"] == "rule" and alert["rule"]["condition"] == "nps <= 6 and comment contains 'refund'"
    assert alert["customer"]["name"] == "Jane Roe" and alert["customer"]["external_id"] == "c-42"
    assert alert["customer"]["account"] == {
        "id": alert["customer"]["account"]["id"],
        "external_id": "acme",
        "name": "Acme Ltd",
        "plan": "enterprise",
        "arr": 120000.0,
    }
    item = alert["item"]
    assert (item["source"], item["id"], item["nps"], item["survey"]) == ("response", response_id, 2, "pulse")
    assert len(item["comment"]) == 500 and item["comment"].endswith("…")
    assert item["comment"].startswith("I asked for a refund twice")
    case_id = alert["case_id"]
    assert case_id is not None
    [case] = by_type["case.created"]["data"]["cases"]
    assert case["id"] == case_id and case["priority"] == "high" and case["customer"]["name"] == "Jane Roe"
    assert case["item"]["id"] == response_id

    text = "\n".join(b["text"]["text"] for b in slack["blocks"] if b["type"] == "section")
    assert "*rule* · when `nps &lt;= 6 and comment contains 'refund'`" in text
    assert "customer Jane Roe (c-42) · Acme Ltd (plan enterprise, ARR 120,000)" in text
    assert "NPS 2 · survey pulse, via api" in text and ">I asked for a refund twice" in text
    assert f"<https://cx.example.com/cases/{case_id}|open case {case_id}>" in text


def test_an_alert_email_names_rule_customer_account_and_case(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    add_destination(db, "mailto:ops@example.com", kind=DestinationKind.email, events=["alert.fired"])
    _fire(db)
    configured = settings.model_copy(update={"smtp_url": smtp_server.url, "public_url": "https://cx.example.com"})
    mailer = build_sender(configured, db, policy=FAST)
    assert mailer.run_pass() == 1
    mailer.close()
    [envelope] = smtp_server.recorder.envelopes
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == "cxloop alert: rule"
    text = mail.get_content()
    assert "Rule: rule (when nps <= 6 and comment contains 'refund')" in text
    assert "Customer: Jane Roe (c-42) · Acme Ltd (plan enterprise, ARR 120,000)" in text
    assert "NPS 2 · survey pulse, via api" in text
    assert "Case: https://cx.example.com/cases/" in text
