"""anomaly.detected reaches subscribed destinations with substance: a real scan over planted data stores the drop and
emits the event, the real relay fans it out, and the signed webhook (validated against
docs/webhooks/message.schema.json), Slack (Block Kit) and email (a real SMTP server) carry each anomaly's sentence,
metric, segment, period, direction, value against baseline with the 95% margin and n, and its q-value."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

import jsonschema
import orjson

from cxloop.analytics import anomalies
from cxloop.analytics.schemas import AnomalyRead
from cxloop.core.config import Settings
from cxloop.notifications import slack
from cxloop.notifications.enums import DestinationKind
from cxloop.storage.database import Database
from cxloop.worker import build_relay, build_sender
from tests.analytics.test_anomalies import AS_OF, DROP_WEEK, build
from tests.jobs.conftest import SmtpServer
from tests.jobs.conftest import smtp_server as smtp_server  # noqa: F401 - the fixture
from tests.notifications.conftest import FAST, add_destination, sender
from tests.notifications.receiver import Receiver

SCHEMA = json.loads((Path(__file__).parents[2] / "docs/webhooks/message.schema.json").read_text())


def _detect(db: Database) -> list[int]:
    """Plant the Enterprise NPS drop, scan and relay: the ids the scan stored."""
    build(db)
    with db.unit_of_work(write=True) as session:
        anomalies.scan(session, weeks=1, days=0, as_of=AS_OF)
    relay = build_relay(db)
    while relay.run_pass():
        pass
    return [a.id for a in anomalies_stored(db) if a.id is not None]


def anomalies_stored(db: Database) -> list[AnomalyRead]:
    with db.unit_of_work() as session:
        return sorted(anomalies.list_anomalies(session), key=lambda a: a.id or 0)


def test_webhook_and_slack_anomaly_messages_carry_the_figures(db: Database, receiver: Receiver) -> None:
    add_destination(db, receiver.url, events=["anomaly.detected"])
    add_destination(db, receiver.url, kind=DestinationKind.slack, events=["anomaly.detected"])
    add_destination(db, receiver.url, events=["alert.fired"])  # not subscribed: gets nothing
    ids = _detect(db)
    assert ids
    assert sender(db).run_pass() == 2
    [signed] = [orjson.loads(r.body) for r in receiver.requests if "webhook-signature" in r.headers]
    [slack] = [orjson.loads(r.body) for r in receiver.requests if "webhook-signature" not in r.headers]
    jsonschema.validate(signed, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert signed["type"] == "anomaly.detected" and signed["data"]["anomaly_ids"] == ids

    [drop] = [a for a in signed["data"]["anomalies"] if a["series"] == "nps/segment:enterprise/week"]
    stored = next(a for a in anomalies_stored(db) if a.id == drop["id"])
    assert drop["explanation"] == stored.explanation and drop["explanation"].startswith("Enterprise NPS fell from ")
    assert (drop["metric"], drop["scope"], drop["scope_key"]) == ("nps", "Enterprise", "enterprise")
    assert (drop["granularity"], drop["period_start"], drop["direction"]) == ("week", DROP_WEEK.isoformat(), "drop")
    assert (drop["value"], drop["baseline"], drop["margin"]) == (stored.value, stored.baseline, stored.margin)
    assert drop["change"] == stored.value - stored.baseline and abs(drop["change"]) > drop["margin"]
    assert (drop["n"], drop["baseline_n"]) == (40, 320)
    assert drop["q_value"] == stored.q_value and drop["q_value"] <= 0.05

    text = "\n".join(b["text"]["text"] for b in slack["blocks"] if b["type"] == "section")
    assert f"*{drop['explanation']}*" in text
    assert f"nps · Enterprise · week of {DROP_WEEK.isoformat()} · drop: " in text
    assert "n = 40 vs 320, q = " in text


def test_an_anomaly_email_gives_the_sentence_and_figures(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    add_destination(db, "mailto:cx-lead@example.com", kind=DestinationKind.email, events=["anomaly.detected"])
    ids = _detect(db)
    configured = settings.model_copy(update={"smtp_url": smtp_server.url, "public_url": "https://cx.example.com"})
    mailer = build_sender(configured, db, policy=FAST)
    assert mailer.run_pass() == 1
    mailer.close()
    [envelope] = smtp_server.recorder.envelopes
    mail = message_from_bytes(envelope.content, policy=policy.default)
    more = f" (+{len(ids) - 1} more)" if len(ids) > 1 else ""
    first = anomalies_stored(db)[0]
    assert mail["Subject"] == f"cxloop anomaly: {first.metric} {first.direction} in {first.scope}{more}"
    text = mail.get_content()
    drop = next(a for a in anomalies_stored(db) if a.series == "nps/segment:enterprise/week")
    assert drop.explanation in text
    assert "n = 40 vs 320, q = " in text and "(change -" in text and ", 95%)" in text
    assert "All anomalies: https://cx.example.com/anomalies" in text


# An anomaly as messages carry it (summaries.anomalies_of), with a scope Slack must escape.
SAMPLE = {
    "explanation": "Enterprise NPS fell from 43 to -38 in the week of 2 Nov 2026; the drop is beyond its 95% "
    "margin (±25), n = 40.",
    "metric": "nps",
    "scope": "Enterprise <beta>",
    "granularity": "week",
    "period_start": "2026-11-02",
    "direction": "drop",
    "value": -37.5,
    "baseline": 42.8125,
    "change": -80.3125,
    "margin": 25.1,
    "n": 40,
    "baseline_n": 320,
    "q_value": 0.00012,
}


def test_a_big_scan_is_cut_to_ten_slack_sections_with_a_link_to_the_rest() -> None:
    body = {"type": "anomaly.detected", "timestamp": "2026-11-11T04:00:00Z", "data": {"anomalies": [SAMPLE] * 12}}
    message = slack.blocks(body, public_url="https://cx.example.com/")
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 10
    assert sections[0]["text"]["text"].splitlines()[1] == (
        "nps · Enterprise &lt;beta&gt; · week of 2026-11-02 · drop: -37.5 vs 42.8 (change -80.3 ± 25.1, 95%), "
        "n = 40 vs 320, q = 0.00012"
    )
    assert message["blocks"][-1]["elements"][0]["text"] == "and 2 more: <https://cx.example.com/anomalies|all>"
