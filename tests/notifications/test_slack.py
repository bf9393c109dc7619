"""Slack incoming webhooks: Block Kit with score, comment, customer and link, to a local server that answers as Slack
does (`ok`, 400 `invalid_payload`, 429 with Retry-After)."""

from __future__ import annotations

from datetime import timedelta

import orjson

from cxloop.core.clock import utcnow
from cxloop.notifications.enums import DestinationKind
from cxloop.storage.database import Database
from tests.notifications.conftest import add_destination, destination, later, messages, sender, store_feedback
from tests.notifications.receiver import Receiver, Reply


def test_slack_gets_block_kit_with_score_comment_customer_and_link(db: Database, receiver: Receiver) -> None:
    slack = add_destination(db, receiver.url, kind=DestinationKind.slack, events=["feedback.received"])
    assert slack.secret is None  # Slack URLs carry their own secret
    [feedback_id] = store_feedback(db, text="Refund took <3> weeks & more", rating=2)
    assert sender(db).run_pass() == 1
    got = receiver.requests[0]
    assert "webhook-signature" not in got.headers
    payload = orjson.loads(got.body)
    assert payload["text"] == "cxloop: feedback.received"
    header, section = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "cxloop: feedback.received"}}
    text = section["text"]["text"]
    assert "*rating 2*" in text and ">Refund took &lt;3&gt; weeks &amp; more" in text
    assert f"<https://cx.example.com/api/v1/feedback/{feedback_id}|open>" in text
    assert messages(db)[0].status == "delivered"


def test_slack_invalid_payload_is_dead_at_once(db: Database, receiver: Receiver) -> None:
    slack = add_destination(db, receiver.url, kind=DestinationKind.slack)
    receiver.script = [Reply(400, b"invalid_payload")]
    store_feedback(db)
    sender(db).run_pass()
    [message] = messages(db)
    assert (message.status, message.attempts, message.last_error) == ("dead", 1, "HTTP 400: invalid_payload")
    assert destination(db, slack.id).failures_in_a_row == 1


def test_slack_rate_limit_retry_after_is_honoured_and_not_counted_as_a_failure(
    db: Database, receiver: Receiver
) -> None:
    slack = add_destination(db, receiver.url, kind=DestinationKind.slack)
    receiver.script = [Reply(429, b"rate_limited", {"Retry-After": "120"})]
    store_feedback(db)
    send = sender(db)
    before = utcnow()
    send.run_pass()
    health = destination(db, slack.id)
    assert health.failures_in_a_row == 0 and health.retry_at is not None
    assert before + timedelta(seconds=119) <= health.retry_at <= utcnow() + timedelta(seconds=121)
    [message] = messages(db)
    assert message.status == "pending" and message.next_attempt_at >= before + timedelta(seconds=119)
    assert send.run_pass(now=later(60)) == 0  # Slack asked for two minutes
    assert send.run_pass(now=later(125)) == 1
    assert messages(db)[0].status == "delivered"


def test_blocks_for_a_big_response_batch_and_for_case_events() -> None:
    from cxloop.notifications.slack import MAX_ITEMS, blocks

    responses = [
        {"id": n, "nps": n % 11, "csat": None, "ces": None, "comment": None, "customer_external_id": f"c-{n}"}
        for n in range(1, 13)
    ]
    big = blocks({"type": "response.received", "data": {"responses": responses}}, public_url="https://cx.example.com/")
    sections = big["blocks"][1:]
    assert len(sections) == MAX_ITEMS + 1 and sections[-1]["elements"][0]["text"] == "and 2 more"
    first = sections[0]["text"]["text"]
    assert first.startswith("*NPS 1* · customer c-1 · <https://cx.example.com/api/v1/responses/1|open>")
    assert first.endswith("_no comment_")
    case = blocks({"type": "case.created", "data": {"case_ids": [7]}}, public_url="https://cx.example.com")
    assert case["blocks"][1]["elements"][0]["text"] == "<https://cx.example.com/cases/7|case 7>"
    other = blocks({"type": "alert.fired", "data": {"alert_ids": [3, 4]}}, public_url="https://cx.example.com")
    assert other["blocks"][1]["elements"][0]["text"] == "alert_ids: [3, 4]"
