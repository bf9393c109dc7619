"""/docs and /redoc work without internet: their assets ship in the package, and a real browser that may reach only
this server renders the API reference."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.live import LiveServer

ROOT = Path(__file__).resolve().parents[2]


def _manifest() -> list[dict[str, Any]]:
    packages: list[dict[str, Any]] = tomllib.loads((ROOT / "tools" / "vendored.toml").read_text())["package"]
    return packages


@pytest.mark.parametrize("package", _manifest(), ids=lambda p: p["name"])
def test_vendored_files_match_their_recorded_checksums(package: dict[str, Any]) -> None:
    dest = ROOT / package["dest"]
    assert package["files"], "every vendored package lists its files"
    for name, digest in package["files"].items():
        data = (dest / Path(name).name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{package['name']}: {name} differs from the manifest"
    assert any(Path(name).name.startswith("LICENSE") for name in package["files"]), "the licence ships too"


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/"])
def test_pages_name_no_other_host(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, "the page links its assets"
    assert all(not urlsplit(url).netloc for url in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_sign_in_page_links_the_reference(client: TestClient) -> None:
    page = client.get("/")  # the web app sends a visitor without a session to its sign-in page
    assert page.url.path == "/login"
    assert 'href="/docs"' in page.text and 'href="/redoc"' in page.text


@pytest.mark.parametrize(
    ("path", "rendered"),
    [("/docs", ".opblock-summary-path"), ("/redoc", "[data-section-id^='tag/']")],
)
def test_reference_renders_offline_in_a_browser(live_server: LiveServer, page: Any, path: str, rendered: str) -> None:
    """Every request to another host is refused (as it would fail offline) and recorded."""
    own_host = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    errors: list[str] = []

    def only_this_server(route: Any) -> None:
        if urlsplit(route.request.url).netloc in {own_host, ""} or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + path)
    # Redoc lays out every operation of the document in the page: tens of seconds on a loaded 2-core machine
    page.wait_for_selector(rendered, timeout=90_000)
    assert page.locator(rendered).count() > 5, "the operations of the API are listed"
    assert elsewhere == []
    # What the policy refused (ReDoc's vendor logo) is reported as a console error; nothing else may fail.
    assert [e for e in errors if "Content Security Policy" not in e] == []


def test_every_reference_in_the_openapi_document_resolves(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in document["components"]["schemas"], ref
