"""widget.js in its preview mode (what the survey builder's widget preview runs), in a real browser on a page of
another origin with no Content-Security-Policy to hold it back: it prompts at once from the block it is handed,
walks the follow-ups as the server's next_question would for the same answers (a multiple-choice answer, a
skipped question), and makes no request at all; nothing is stored. (A valid definition always has a first
question to show: a condition names an earlier question.)"""

from __future__ import annotations

import json
from typing import Any

from cxloop.channels.widget import questions
from cxloop.channels.widget.preview import preview_data
from cxloop.channels.widget.schemas import WidgetBrand
from cxloop.storage.database import Database
from cxloop.surveys.schemas import SurveyDefinition
from tests.channels.widget.conftest import HostPage, responses
from tests.live import LiveServer


def _follow_up(question_id: str, words: str, after: str, op: str, value: Any) -> dict[str, Any]:
    condition = {"question": after, "op": op, "value": value}
    return {"id": question_id, "kind": "text", "text": {"en": words}, "show_if": condition}


TOPICS = [("billing", "Billing"), ("speed", "Speed"), ("other", "Something else")]
DEFINITION: dict[str, Any] = {
    "questions": [
        {"id": "score", "kind": "rating", "scale": 5, "required": True, "text": {"en": "How was it?"}},
        _follow_up("low", "What went wrong?", "score", "<=", 2),
        {
            "id": "topics",
            "kind": "multiple_choice",
            "text": {"en": "What was it about?"},
            "options": [{"key": key, "text": {"en": words}} for key, words in TOPICS],
        },
        _follow_up("invoice", "Which invoice?", "topics", "in", ["billing"]),
        _follow_up("slow", "Where was it slow?", "topics", "==", "speed"),
        _follow_up("else", "Anything else?", "topics", "!=", "speed"),
    ]
}
# Counts every request the page's scripts could make, beside the browser's own record of requests.
COUNTING = (
    "<script>window.__sent = 0; var f = window.fetch; window.fetch = function () { window.__sent++; "
    "return f.apply(this, arguments); }; var o = XMLHttpRequest.prototype.open; XMLHttpRequest.prototype.open = "
    "function () { window.__sent++; return o.apply(this, arguments); }; navigator.sendBeacon = function () { "
    "window.__sent++; return true; };</script>"
)


def _page(server_url: str) -> str:
    data = preview_data(
        SurveyDefinition.model_validate(DEFINITION).to_document(),
        survey_key="draft",
        locale="en",
        default_locale="en",
        brand=WidgetBrand(organisation_name="Acme", colour="#7a1fd8", text_colour="#ffffff"),
    )
    block = json.dumps(data).replace("<", "\\u003c")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>{COUNTING}</head><body>'
        f'<h1>Shop</h1><script type="application/json" id="draft">{block}</script>'
        f'<script src="{server_url}/widget.js" data-preview="draft"></script></body></html>'
    )


def _server_walk(answers: dict[str, Any]) -> list[str]:
    """The questions the server's next_question shows for `answers`, in order."""
    shown, after = [], None
    while found := questions.next_question(DEFINITION, answers, after=after, locale="en", default_locale="en"):
        shown.append(found.text)
        after = found.id
    return shown


def test_the_preview_mode_walks_the_follow_ups_as_the_server_does_and_sends_nothing(
    page: Any, db: Database, live_server: LiveServer, host_page: HostPage
) -> None:
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    page.goto(host_page.add("/shop", _page(live_server.url)))
    dialog = page.get_by_role("dialog", name="Survey")
    seen = [dialog.locator("p").inner_text()]
    assert page.get_by_role("button", name="Feedback").count() == 0, "no feedback button in a preview"
    brand = page.evaluate("document.querySelector('cxloop-widget').style.getPropertyValue('--brand')")
    assert brand == "#7a1fd8", "the organisation's colour, from the handed settings"
    dialog.get_by_role("button", name="4", exact=True).click()
    page.get_by_text("What was it about?").wait_for()
    seen.append(dialog.locator("p").inner_text())
    dialog.get_by_label("Billing").check()
    dialog.get_by_label("Something else").check()
    dialog.get_by_role("button", name="Send").click()
    page.get_by_text("Which invoice?").wait_for()
    seen.append(dialog.locator("p").inner_text())
    dialog.get_by_role("button", name="Skip").click()
    page.get_by_text("Anything else?").wait_for()
    seen.append(dialog.locator("p").inner_text())
    dialog.get_by_role("textbox").fill("No")
    dialog.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your feedback!").wait_for()

    assert seen == _server_walk({"score": 4, "topics": ["billing", "other"], "else": "No"})
    assert seen == ["How was it?", "What was it about?", "Which invoice?", "Anything else?"]
    assert page.evaluate("window.__sent") == 0, "no fetch, XMLHttpRequest or beacon"
    assert [method for method, _ in requests] == ["GET", "GET"], requests  # the page and widget.js
    assert requests[1][1] == f"{live_server.url}/widget.js"
    assert responses(db) == []
