"""The widget in a real browser: Debian's Chromium (headless, via Playwright) on a page of another origin, talking to
the real server under uvicorn, with the stored responses checked in the database."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.invitations import service as invitation_service
from cxloop.invitations.models import Invitation
from cxloop.storage.database import Database
from tests.channels.widget.conftest import (
    PNG,
    HostPage,
    create_site,
    embed_page,
    eventually,
    feedback_survey,
    live_survey,
    responses,
)
from tests.factories.consent import record_consent
from tests.factories.customers import make_customer
from tests.live import LiveServer

# The host page's own styles: they must not reach into the widget, and the widget's must not reach out.
HOST_STYLES = (
    "<style>button{color:rgb(255,0,0);font-family:serif;padding:30px}p{margin:33px;color:rgb(0,128,0)}"
    ".fb,.panel{display:none}</style>"
)


def _site(api: TestClient, host_page: HostPage, **fields: Any) -> dict[str, Any]:
    return create_site(api, allowed_origins=[host_page.origin], **fields)


def _open(page: Any, host_page: HostPage, live_server: LiveServer, site: dict[str, Any], **page_parts: Any) -> None:
    url = host_page.add("/shop", embed_page(live_server.url, site["key"], **page_parts))
    page.goto(url)
    page.wait_for_function("window.cxloop && window.cxloop.loaded")


def test_the_feedback_button_stores_a_rating_a_comment_and_an_image(
    page: Any, api: TestClient, db: Database, live_server: LiveServer, host_page: HostPage, tmp_path: Any
) -> None:
    feedback_survey(db)
    site = _site(api, host_page, feedback_survey="site-feedback")
    _open(page, host_page, live_server, site)
    page.evaluate("cxloop.identify('cust-42', {plan: 'pro'})")
    page.get_by_role("button", name="Feedback").click()
    dialog = page.get_by_role("dialog", name="Feedback")
    dialog.get_by_role("button", name="2", exact=True).click()
    comment = dialog.get_by_label("What went wrong?")  # the label follows the rating given
    comment.fill("The coupon field is hidden")
    screenshot = tmp_path / "screenshot.png"
    screenshot.write_bytes(PNG)
    dialog.get_by_label("Attach an image").set_input_files(str(screenshot))
    dialog.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your feedback!").wait_for()
    (stored,) = eventually(lambda: responses(db))
    assert stored.answers == {"rating": 2, "wrong": "The coupon field is hidden"}
    assert (stored.channel, stored.is_partial) == ("web", False)
    assert stored.meta["url"] == f"{host_page.origin}/shop"
    (attachment,) = stored.meta["attachments"]
    assert attachment["type"] == "image/png" and attachment["bytes"] == len(PNG)
    (customer,) = api.get("/api/v1/customers", params={"external_id": "cust-42"}).json()["items"]
    assert customer["attributes"] == {"plan": "pro"}
    assert stored.customer_id == customer["id"]


def test_the_thank_you_timer_closes_only_its_own_panel(
    page: Any, api: TestClient, db: Database, live_server: LiveServer, host_page: HostPage
) -> None:
    feedback_survey(db)
    site = _site(api, host_page, feedback_survey="site-feedback")
    _open(page, host_page, live_server, site)
    page.get_by_role("button", name="Feedback").click()
    page.get_by_role("dialog", name="Feedback").get_by_role("button", name="5", exact=True).click()
    page.get_by_role("dialog", name="Feedback").get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your feedback!").wait_for()
    page.get_by_role("button", name="Feedback").click()  # a second form, opened while the thanks were showing
    form = page.get_by_role("dialog", name="Feedback")
    form.get_by_label("Anything else?").fill("Still typing")
    page.wait_for_timeout(3000)  # longer than the thank-you panel stays
    assert form.is_visible()
    assert form.get_by_label("Anything else?").input_value() == "Still typing"
    page.wait_for_timeout(1000)
    assert page.get_by_text("Thank you for your feedback!").count() == 0


def test_a_prompt_appears_after_track_and_its_answers_are_stored(
    page: Any, api: TestClient, db: Database, live_server: LiveServer, host_page: HostPage
) -> None:
    live_survey(db, "relationship-nps")
    site = _site(api, host_page, rules=[{"survey": "relationship-nps", "event": "checkout_completed"}])
    _open(page, host_page, live_server, site)
    page.wait_for_timeout(300)
    assert page.get_by_role("dialog").count() == 0  # no prompt before the event
    with page.expect_response(lambda r: r.url.endswith("/widget/v1/decide")) as decided:
        page.evaluate("cxloop.track('checkout_completed')")
    assert decided.value.json()["show"] is True
    dialog = page.get_by_role("dialog", name="Survey")
    dialog.get_by_text("How likely are you to recommend us").wait_for()
    dialog.get_by_role("button", name="9", exact=True).click()
    follow_up = dialog.get_by_role("textbox", name="What do you like most about us?")
    follow_up.fill("Quick checkout")
    partial = eventually(lambda: responses(db))  # the score is stored before the comment is given
    assert (partial[0].nps, partial[0].is_partial) == (9, True)
    dialog.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your feedback!").wait_for()
    (stored,) = responses(db)
    assert stored.answers == {"nps": 9, "like": "Quick checkout"}
    assert stored.is_partial is False and stored.customer_id is None


def test_an_event_tracked_before_the_settings_arrive_still_prompts(
    page: Any, api: TestClient, db: Database, live_server: LiveServer, host_page: HostPage
) -> None:
    live_survey(db, "relationship-nps")
    site = _site(api, host_page, rules=[{"survey": "relationship-nps", "event": "checkout_completed"}])
    held: list[Any] = []
    page.route("**/widget/v1/config*", lambda route: held.append(route))  # the settings wait until the event
    _open(page, host_page, live_server, site)
    page.evaluate("cxloop.track('checkout_completed')")
    with page.expect_response(lambda r: r.url.endswith("/widget/v1/decide")) as decided:
        held[0].continue_()
    assert decided.value.json()["show"] is True
    page.get_by_role("dialog", name="Survey").get_by_text("How likely are you to recommend us").wait_for()


def test_no_prompt_when_the_server_refuses_and_the_refusal_is_stored(
    page: Any, api: TestClient, db: Database, live_server: LiveServer, host_page: HostPage
) -> None:
    live_survey(db, "relationship-nps")
    site = _site(api, host_page, rules=[{"survey": "relationship-nps", "event": "checkout_completed"}])
    with db.unit_of_work() as session:
        customer = make_customer(session, external_id="quiet-1")
        record_consent(session, customer.id, channel="widget", granted=False)
    _open(page, host_page, live_server, site)
    page.evaluate("cxloop.identify('quiet-1')")
    with page.expect_response(lambda r: r.url.endswith("/widget/v1/decide")) as decided:
        page.evaluate("cxloop.track('checkout_completed')")
    assert decided.value.json() == {"show": False, "reason": "opted_out", "prompt": None}
    page.wait_for_timeout(300)
    assert page.get_by_role("dialog").count() == 0
    with db.unit_of_work() as session:
        invitation = session.scalars(select(Invitation)).one()
    assert (invitation.status, invitation.reason) == ("suppressed", "opted_out")


def test_an_identified_customer_answers_the_prompt_through_their_invitation(
    page: Any, api: TestClient, db: Database, live_server: LiveServer, host_page: HostPage
) -> None:
    live_survey(db, "relationship-nps")
    site = _site(api, host_page, channel="in_app", rules=[{"survey": "relationship-nps", "url_match": "/shop"}])
    url = host_page.add(
        "/shop",
        embed_page(
            live_server.url,
            site["key"],
            lang="de",
            head="<script>window.cxloop={q:[['identify','cust-7',{plan:'team'}]]}</script>",
        ),
    )
    page.goto(url)  # the queued identify runs first, then the page-view ask (no event, no delay)
    dialog = page.get_by_role("dialog", name="Survey")
    dialog.get_by_text("Wie wahrscheinlich").wait_for()
    dialog.get_by_role("button", name="3", exact=True).click()
    dialog.get_by_role("textbox").fill("Zu teuer")
    dialog.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your feedback!").wait_for()
    (stored,) = responses(db)
    assert (stored.answers, stored.channel, stored.is_partial) == ({"nps": 3, "improve": "Zu teuer"}, "in_app", False)
    with db.unit_of_work() as session:
        invitation = session.scalars(select(Invitation)).one()
    assert (invitation.status, invitation.response_id, invitation.channel) == ("answered", stored.id, "widget")


def test_the_shadow_dom_keeps_the_page_and_the_widget_apart(
    page: Any, api: TestClient, db: Database, live_server: LiveServer, host_page: HostPage
) -> None:
    feedback_survey(db)
    site = _site(api, host_page, feedback_survey="site-feedback")
    body = '<button id="host-button">Buy</button><p id="host-text">Welcome</p>'
    url = host_page.add("/plain", f"<!doctype html><html><head>{HOST_STYLES}</head><body>{body}</body></html>")
    page.goto(url)
    before = _host_styles(page)
    _open(page, host_page, live_server, site, head=HOST_STYLES, body=body)
    page.get_by_role("button", name="Feedback").click()
    page.get_by_role("dialog", name="Feedback").wait_for()
    assert _host_styles(page) == before  # the widget's styles (p, button, ...) do not leak out
    widget = page.evaluate(
        """() => {
            const root = document.querySelector('cxloop-widget').shadowRoot;
            const style = (el) => getComputedStyle(el);
            return {
                button: style(root.querySelector('.fb')).display,
                buttonColor: style(root.querySelector('.fb')).color,
                buttonPadding: style(root.querySelector('.fb')).paddingTop,
                panel: style(root.querySelector('.panel')).display,
                question: style(root.querySelector('.panel p')).marginTop,
            };
        }"""
    )
    # The page's `button{color:red;padding:30px}`, `p{margin:33px}` and `.fb,.panel{display:none}` do not reach in.
    assert widget == {
        "button": "block",
        "buttonColor": "rgb(255, 255, 255)",
        "buttonPadding": "10px",
        "panel": "block",
        "question": "0px",
    }


def _host_styles(page: Any) -> dict[str, str]:
    result: dict[str, str] = page.evaluate(
        """() => {
            const button = getComputedStyle(document.getElementById('host-button'));
            const text = getComputedStyle(document.getElementById('host-text'));
            const page = getComputedStyle(document.body);
            return {color: button.color, font: button.fontFamily, padding: button.paddingTop,
                    margin: text.marginTop, textColor: text.color, bodyFont: page.fontFamily};
        }"""
    )
    return result


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_hosted_survey_page_is_answered_in_the_browser(
    browser: Any, javascript: bool, db: Database, live_server: LiveServer
) -> None:
    """The hosted page (channels/hosted, /s/{token}) from an emailed link: the score, then the comment."""
    survey_id = live_survey(db, "relationship-nps")
    with db.unit_of_work() as session:
        customer = make_customer(session, external_id="mail-1", email="ada@example.com", locale="en")
        invitation = invitation_service.invite(
            session, invitation_service.InviteRequest(survey_id=survey_id, customer_id=customer.id, channel="email")
        )
        invitation_service.mark_sent(invitation)
        token = invitation_service.token_for(live_server.app.state.signer, invitation)
    context = browser.new_context(java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)  # as tests/live.py: the first page of a loaded machine can be slow
        page.goto(f"{live_server.url}/s/{token}")
        page.get_by_text("How likely are you to recommend us").wait_for()
        page.locator("label", has_text="8").first.click()
        page.get_by_role("button", name="Next").click()
        comment = page.get_by_role("textbox", name="What would make you rate us a 9 or 10?")
        stored = responses(db)
        assert [(r.nps, r.is_partial) for r in stored] == [(8, True)]  # the score counts before the comment
        comment.fill("Cheaper shipping")
        page.get_by_role("button", name="Send").click()
        page.get_by_text("Thank you!").wait_for()
    finally:
        context.close()
    (stored_response,) = responses(db)
    assert stored_response.answers == {"nps": 8, "missing": "Cheaper shipping"}
    assert (stored_response.is_partial, stored_response.channel, stored_response.customer_id) == (
        False,
        "email",
        customer.id,
    )
