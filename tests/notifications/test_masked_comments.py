"""Staff messages show comments with personal data masked: Slack and email (alerts, cases, new responses and
feedback, the weekly digest) read the masked text; webhook receivers get the comment as written and masked
(`comment` / `comment_masked`, documented in docs/webhooks.md and its JSON Schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import jsonschema
import orjson

from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core.config import Settings
from cxloop.notifications import digest_letter, digests, emails, slack
from cxloop.notifications.enums import DestinationKind
from cxloop.storage.database import Database
from cxloop.worker import build_sender
from tests.alerts.conftest import add_rule, add_survey, store_feedback, store_responses
from tests.factories.cases import make_team
from tests.factories.customers import make_customer
from tests.jobs.conftest import SmtpServer
from tests.jobs.conftest import smtp_server as smtp_server  # noqa: F401 - the fixture
from tests.notifications.conftest import FAST, add_destination, sender
from tests.notifications.receiver import Receiver

SCHEMA = json.loads((Path(__file__).parents[2] / "docs/webhooks/message.schema.json").read_text())
SAID = "Refund please: write to jane.roe@example.com or call +44 20 7946 0958."
MASKED = "Refund please: write to [EMAIL] or call [PHONE]."
PERSONAL = ("jane.roe@example.com", "7946")


def _fire(db: Database) -> int:
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        make_customer(session, external_id="c-42", name="Jane Roe")
    add_rule(db, {"field": "nps", "op": "<=", "value": 6}, actions=[{"kind": "notify"}, {"kind": "open_case"}])
    [response_id] = store_responses(db, {"nps": 2, "comment": SAID, "customer_external_id": "c-42"})
    return response_id


def _clean(text: str) -> None:
    assert MASKED in text
    assert not any(found in text for found in PERSONAL), text


def test_webhooks_carry_both_slack_shows_the_masked_comment(db: Database, receiver: Receiver) -> None:
    events = ["alert.fired", "case.created", "response.received", "feedback.received"]
    add_destination(db, receiver.url, events=events)
    add_destination(db, receiver.url, kind=DestinationKind.slack, events=events)
    _fire(db)
    store_feedback(db, {"kind": "review", "source": "g2", "channel": "review", "text": SAID, "rating": 1})
    assert sender(db).run_pass() == 8
    signed = {}
    slack = []
    for request in receiver.requests:
        body = orjson.loads(request.body)
        if "webhook-signature" in request.headers:
            jsonschema.validate(body, SCHEMA, format_checker=jsonschema.FormatChecker())
            signed[body["type"]] = body["data"]
        else:
            slack.append("\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section"))

    [alert] = signed["alert.fired"]["alerts"]
    assert (alert["item"]["comment"], alert["item"]["comment_masked"]) == (SAID, MASKED)
    [case] = signed["case.created"]["cases"]
    assert (case["item"]["comment"], case["item"]["comment_masked"]) == (SAID, MASKED)
    [response] = signed["response.received"]["responses"]
    assert (response["comment"], response["comment_masked"]) == (SAID, MASKED)
    [feedback] = signed["feedback.received"]["feedback"]
    assert (feedback["text"], feedback["text_masked"]) == (SAID, MASKED)
    assert len(slack) == 4
    for text in slack:
        _clean(text)


def test_alert_and_case_emails_show_the_masked_comment(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    add_destination(db, "mailto:ops@example.com", kind=DestinationKind.email, events=["alert.fired", "case.created"])
    _fire(db)
    configured = settings.model_copy(update={"smtp_url": smtp_server.url, "public_url": "https://cx.example.com"})
    mailer = build_sender(configured, db, policy=FAST)
    assert mailer.run_pass() == 2
    mailer.close()
    mails = [message_from_bytes(e.content, policy=policy.default) for e in smtp_server.recorder.envelopes]
    assert sorted(str(m["Subject"]).split(":")[0] for m in mails) == ["cxloop", "cxloop alert"]
    for mail in mails:
        _clean(mail.get_content())  # type: ignore[attr-defined]


def test_messages_stored_before_the_masked_field_are_masked_when_shown() -> None:
    old = {"type": "response.received", "timestamp": "2026-12-01T10:00:00Z"}
    old["data"] = {"response_ids": [1], "responses": [{"id": 1, "nps": 2, "comment": SAID, "customer_id": None}]}  # type: ignore[assignment]
    _clean(emails.text(old, public_url="https://cx.example.com"))
    _clean(json.dumps(slack.blocks(old, public_url="https://cx.example.com"), ensure_ascii=False))


def test_the_weekly_digest_shows_detractors_comments_masked(db: Database) -> None:
    add_survey(db)
    week = digests.last_week("UTC", now=datetime.now(UTC))
    at = datetime.combine(week + timedelta(days=2), time(12), UTC)
    with db.unit_of_work(write=True) as session:
        collection.record_responses(
            session, items=[ResponseCreate(survey="pulse", nps=1, comment=SAID, submitted_at=at)]
        )
        team = make_team(session, key="support", timezone="UTC")
    with db.unit_of_work() as session:
        data = digests.build(session, team_id=team.id, week_start=week, now=datetime.now(UTC))
    assert [d["comment"] for d in data["detractors"]] == [MASKED]
    subject, text, html = digest_letter.render(data, public_url="https://cx.example.com")
    _clean(text)
    assert not any(found in html for found in PERSONAL)
