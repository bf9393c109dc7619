"""What every public widget endpoint shares: the site key, the origin, CORS, the rate limit; the script; identify."""

from __future__ import annotations

import gzip

from fastapi.testclient import TestClient

from cxloop.core.rate_limit import AsyncRateLimiter
from cxloop.storage.database import Database
from tests.channels.widget.conftest import create_site, feedback_survey, live_survey

ORIGIN = "http://shop.example"
MAX_SCRIPT_GZIPPED = 15 * 1024


def test_the_script_is_small_gzipped_and_cached(client: TestClient) -> None:
    plain = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("application/javascript")
    assert "cxloop.identify" in plain.text
    size = len(gzip.compress(plain.content, compresslevel=9))
    assert size < MAX_SCRIPT_GZIPPED, f"widget.js is {size} bytes gzipped"
    zipped = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx unzips it
    cached = client.get("/widget.js", headers={"If-None-Match": plain.headers["etag"]})
    assert cached.status_code == 304


def test_an_unknown_site_key_gets_404_with_the_reason(client: TestClient) -> None:
    answer = client.get("/widget/v1/config", params={"site_key": "ws_nope"}, headers={"Origin": ORIGIN})
    assert answer.status_code == 404
    assert answer.json() == {
        "detail": "no enabled widget site has this key; check the data-site-key of the script tag",
        "errors": [{"field": "site_key", "message": "unknown site key"}],
    }
    assert answer.headers["access-control-allow-origin"] == ORIGIN


def test_other_origins_get_403(api: TestClient, db: Database) -> None:
    site = create_site(api)
    body = {"site_key": site["key"], "url": "http://evil.example/"}
    other = api.post("/widget/v1/decide", json=body, headers={"Origin": "http://evil.example"})
    assert other.status_code == 403
    assert "http://evil.example is not allowed" in other.json()["detail"]
    missing = api.post("/widget/v1/decide", json=body)
    assert missing.status_code == 403 and "no Origin header" in missing.json()["detail"]
    anywhere = create_site(api, allowed_origins=["*"])
    assert api.post("/widget/v1/decide", json={**body, "site_key": anywhere["key"]}).status_code == 200


def test_the_config_tells_the_script_when_to_ask_and_what_the_button_asks(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    feedback_survey(db)
    site = create_site(
        api,
        feedback_survey="site-feedback",
        rules=[
            {"survey": "relationship-nps", "url_match": "/secret-admin/*", "seconds_on_page": 30},
            {"survey": "relationship-nps", "event": "checkout_completed"},
            {"survey": "relationship-nps"},
        ],
    )
    answer = api.get("/widget/v1/config", params={"site_key": site["key"], "locale": "de"}, headers={"Origin": ORIGIN})
    assert answer.status_code == 200, answer.text
    config = answer.json()
    assert (config["delays"], config["events"], config["channel"]) == ([0, 30], ["checkout_completed"], "web")
    assert "secret-admin" not in answer.text  # the rules themselves stay on the server
    assert config["feedback"]["score"]["text"] == "Wie ist es?"
    assert (config["feedback"]["score"]["min"], config["feedback"]["score"]["max"]) == (1, 5)
    assert [c["id"] for c in config["feedback"]["comments"]] == ["wrong", "note"]


def test_preflight_is_answered(client: TestClient) -> None:
    answer = client.options(
        "/widget/v1/decide",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in answer.headers["access-control-allow-methods"]


def test_too_many_requests_from_one_address_get_429(api: TestClient, db: Database) -> None:
    site = create_site(api)
    api.app.state.widget_rate_limiter = AsyncRateLimiter(rate=3, per=3600)  # an hour: no window edge mid-test
    body = {"site_key": site["key"], "url": "http://shop.example/"}
    codes = [api.post("/widget/v1/decide", json=body, headers={"Origin": ORIGIN}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api.post("/widget/v1/decide", json=body, headers={"Origin": ORIGIN})
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["access-control-allow-origin"] == ORIGIN


def test_identify_creates_and_updates_the_customer_but_never_their_contact_details(
    api: TestClient, db: Database
) -> None:
    site = create_site(api)
    body = {"site_key": site["key"], "customer": "cust-1", "attributes": {"plan": "pro", "seats": 5}, "locale": "de"}
    assert api.post("/widget/v1/identify", json=body, headers={"Origin": ORIGIN}).status_code == 204
    update = {"site_key": site["key"], "customer": "cust-1", "attributes": {"seats": None, "region": "eu"}}
    assert api.post("/widget/v1/identify", json=update, headers={"Origin": ORIGIN}).status_code == 204
    (customer,) = api.get("/api/v1/customers", params={"external_id": "cust-1"}).json()["items"]
    assert customer["attributes"] == {"plan": "pro", "region": "eu"}
    assert customer["locale"] == "de"
    email = {"site_key": site["key"], "customer": "cust-1", "email": "thief@example.com"}
    refused = api.post("/widget/v1/identify", json=email, headers={"Origin": ORIGIN})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "email"
