"""Public endpoints hold no more of a body than their cap (core/body_caps.py, issue 10): every public route that
takes a body has a cap, and a real `cxloop serve` process refused 100 MB chunked uploads of every kind (form, JSON,
webhook) while its resident memory stayed flat."""

from __future__ import annotations

import http.client
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cxloop.app import create_app
from cxloop.core.body_caps import BODY_CAPS, DEFAULT_MAX_BYTES
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.api.test_auth_matrix import KEY_IN_HANDLER, PUBLIC, _flat_routes, _is_web_page
from tests.live import serve_process

UPLOAD_BYTES = 100 * 1024 * 1024
CHUNK = b"x" * (64 * 1024)
MAX_GROWTH_KB = 20 * 1024
SMS_TOKEN = "sms-token-for-the-body-cap-test"  # noqa: S105 (a test value)
EMAIL_SECRET = "email-secret-for-the-body-cap-test"  # noqa: S105
HELPDESK_SECRET = "helpdesk-secret-for-the-body-cap-test"  # noqa: S105


def _public_body_routes(app: FastAPI) -> dict[str, object]:
    """'POST /path' -> route, for every public route (and web form) whose method carries a body."""
    public = PUBLIC | set(KEY_IN_HANDLER)
    found = {}
    for route in _flat_routes(app):
        for method in getattr(route, "methods", None) or ():
            # the web app's forms too: signed in by a cookie, their body is read before the session is checked
            if ((method, route.path) in public or _is_web_page(route)) and method in {"POST", "PUT", "PATCH"}:
                found[f"{method} {route.path}"] = route
    return found


def test_every_public_route_with_a_body_has_its_cap() -> None:
    routes = _public_body_routes(create_app(Settings(environment="test")))
    assert set(routes) == set(BODY_CAPS), "public routes and core/body_caps.BODY_CAPS must list the same endpoints"
    for endpoint, route in routes.items():
        assert getattr(route, "max_body_size", None) == BODY_CAPS[endpoint].max_bytes, endpoint


def _rss_peak_kb(pid: int) -> int:
    """The process's peak resident memory (VmHWM: the largest VmRSS it ever had), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def _chunks(first: bytes) -> Iterator[bytes]:
    """`first`, then filler up to UPLOAD_BYTES, each as an HTTP/1.1 chunk; then the last chunk."""
    yield b"%x\r\n%s\r\n" % (len(first), first)
    sent = len(first)
    while sent < UPLOAD_BYTES:
        yield b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
        sent += len(CHUNK)
    yield b"0\r\n\r\n"


def _upload(base: str, path: str, first: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST a 100 MB chunked body; stops sending as soon as the server answers (or drops the connection), then
    reads its answer."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}", "Transfer-Encoding: chunked", "Connection: close"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            for piece in _chunks(first):
                if select.select([sock], [], [], 0)[0]:  # the answer (or the close) is there: stop sending
                    break
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, answer.read()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
# A form's one field passes its own cap (400) before the body passes the body's, unless the first chunk the server
# reads already holds more than the body cap (413): which comes first depends on how the bytes arrive.
FORM_REFUSED = (400, 413)
# (path, first bytes, headers, expected statuses): one of each kind of public endpoint
UPLOADS = [
    ("/s/k/no-such-survey", b"answer=", FORM, FORM_REFUSED),  # a survey page's form (parsed before the handler runs)
    ("/kiosk/no-such-survey", b"answer=", FORM, FORM_REFUSED),
    ("/u/not-a-token", b"List-Unsubscribe=", FORM, (404,)),  # the token is checked before the form is read
    ("/widget/v1/responses", b'{"site_key": "', {"Content-Type": "text/plain"}, (413,)),
    ("/webhooks/sms/twilio", b"Body=", {**FORM, "X-Twilio-Signature": "c2lnbmVk"}, (413,)),  # signs the fields: read
    ("/webhooks/email/events", b"[", {**JSON, "Authorization": "Bearer wrong"}, (401,)),  # the secret comes first
    ("/webhooks/email/events", b"[", {**JSON, "Authorization": f"Bearer {EMAIL_SECRET}"}, (413,)),
    ("/webhooks/helpdesk/generic", b'{"event": "', JSON, (401,)),  # neither signed nor keyed: refused before the body
    ("/webhooks/helpdesk/generic", b'{"event": "', {**JSON, "X-Cxloop-Signature": "sha256=00"}, (413,)),
    ("/v1/track", b'{"userId": "', JSON, (413,)),
]


def test_a_100_mb_chunked_upload_is_refused_without_holding_it(db: Database, tmp_path: Path) -> None:
    secrets = {
        "CXLOOP_SMS_AUTH_TOKEN": SMS_TOKEN,
        "CXLOOP_EMAIL_WEBHOOK_SECRET": EMAIL_SECRET,
        "CXLOOP_HELPDESK_WEBHOOK_SECRET": HELPDESK_SECRET,
    }
    with serve_process(db, tmp_path, env=secrets) as (base, process):
        # warm up: every route's first request imports and caches what it needs
        for path, first, headers, _status in UPLOADS:
            _upload_small(base, path, first, headers)
        before = _rss_peak_kb(process.pid)
        for path, first, headers, expected in UPLOADS:
            status, body = _upload(base, path, first, headers)
            assert status in expected, (path, status, body[:300])
            if status == 413:
                assert b"larger than" in body, (path, body[:300])
            elif status == 400:
                assert b"exceeded maximum size" in body, (path, body[:300])
        growth = _rss_peak_kb(process.pid) - before
        assert growth < MAX_GROWTH_KB, f"peak resident memory grew by {growth} kB"


def _upload_small(base: str, path: str, first: bytes, headers: dict[str, str]) -> None:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    connection.request("POST", path, body=first, headers=headers)
    connection.getresponse().read()
    connection.close()


def test_a_form_with_more_or_larger_fields_than_the_page_needs_is_refused(client: TestClient) -> None:
    cap = BODY_CAPS["POST /s/k/{survey_key}"]
    assert cap.max_fields is not None
    many = "&".join(f"answer={n}" for n in range(cap.max_fields + 1))
    answer = client.post("/s/k/any", content=many, headers=FORM)
    assert answer.status_code == 400 and f"Maximum number of fields is {cap.max_fields}" in answer.text
    large = "answer=" + "x" * (cap.max_part_bytes + 1)
    answer = client.post("/s/k/any", content=large, headers=FORM)
    assert answer.status_code == 400 and "Field exceeded maximum size" in answer.text
    # declared too large (refused at once, before a byte is read) or sent chunked (counted while it arrives): the
    # same JSON error naming the cap, whichever Starlette answers it (api/errors.TooLargeAsJson)
    named = f"the body is larger than {cap.max_bytes:,} bytes, the most this endpoint accepts"
    for body in ("x" * (cap.max_bytes + 1), iter([b"x" * cap.max_bytes, b"x"])):
        answer = client.post("/s/k/any", content=body, headers=FORM)
        assert answer.status_code == 413 and answer.headers["content-type"] == "application/json"
        assert answer.json() == {"detail": named, "errors": []}


def test_every_json_route_answers_413_as_json_naming_its_cap(api: TestClient) -> None:
    for path, cap in (("/api/v1/text/analyse", 128 * 1024), ("/api/v1/responses", DEFAULT_MAX_BYTES)):
        answer = api.post(path, content=b'{"text": "' + b"a" * cap + b'"}', headers=JSON)
        assert answer.status_code == 413 and answer.headers["content-type"] == "application/json", path
        assert answer.json()["detail"] == f"the body is larger than {cap:,} bytes, the most this endpoint accepts"
