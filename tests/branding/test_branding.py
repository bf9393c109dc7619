"""Branding: set by admins (API and CLI), shown on the hosted page, kiosk and widget, served as a public logo."""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cxloop.branding import rules
from cxloop.cli.main import app as cli_app
from cxloop.storage.database import Database
from tests.channels.hosted.conftest import live_survey
from tests.cli_database import commands_on


def png(width: int = 2, height: int = 1) -> bytes:
    """A real PNG image (the format's own chunks, CRCs and zlib data), so nothing but its bytes can identify it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x1d\x6b\x52" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_colours_are_normalised_and_judged_by_contrast() -> None:
    assert rules.normalise_colour("#0B57D0") == "#0b57d0"
    assert rules.normalise_colour("05d") == "#0055dd"
    with pytest.raises(ValueError, match="colour like"):
        rules.normalise_colour("red; background:url(x)")
    assert round(rules.contrast("#000000", "#ffffff"), 1) == 21.0
    assert rules.text_on("#0b57d0") == "#ffffff" and rules.text_on("#ffe680") == "#1b1f24"


def test_logos_are_known_by_their_bytes() -> None:
    assert rules.logo_type(png()) == "image/png"
    assert rules.logo_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert rules.logo_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    for bad, reason in (
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "PNG, JPEG, GIF or WebP"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * rules.MAX_LOGO_BYTES, "at most 256 KB"),
    ):
        with pytest.raises(ValueError, match=reason):
            rules.logo_type(bad)


def test_admins_set_the_branding_and_everyone_reads_it(api: TestClient) -> None:
    assert api.get("/api/v1/branding").json() == {
        "organisation_name": None,
        "sender_name": None,
        "primary_colour": None,
        "logo_url": None,
        "warnings": [],
    }
    changed = api.patch("/api/v1/branding", json={"organisation_name": "Larkspur", "primary_colour": "#1D6B52"})
    assert changed.status_code == 200
    assert changed.json()["organisation_name"] == "Larkspur" and changed.json()["primary_colour"] == "#1d6b52"
    # a field not sent is kept; null clears
    api.patch("/api/v1/branding", json={"sender_name": "Larkspur Team"})
    assert api.get("/api/v1/branding").json()["organisation_name"] == "Larkspur"
    cleared = api.patch("/api/v1/branding", json={"sender_name": None}).json()
    assert cleared["sender_name"] is None and cleared["organisation_name"] == "Larkspur"


def test_bad_values_are_refused_naming_the_field(api: TestClient) -> None:
    bad = api.patch("/api/v1/branding", json={"primary_colour": "blue"})
    assert bad.status_code == 422 and "primary_colour" in bad.text
    control = api.patch("/api/v1/branding", json={"organisation_name": "Acme\nBcc: x@example.com"})
    assert control.status_code == 422 and "organisation_name" in control.text
    pale = api.patch("/api/v1/branding", json={"primary_colour": "#ffe680"}).json()
    assert pale["warnings"] and "3:1" in pale["warnings"][0]


def test_the_logo_is_uploaded_checked_and_served_publicly(api: TestClient, client: TestClient) -> None:
    image = png()
    stored = api.put("/api/v1/branding/logo", content=image, headers={"Content-Type": "image/png"})
    assert stored.status_code == 200, stored.text
    url = stored.json()["logo_url"]
    version = hashlib.sha256(image).hexdigest()[:12]
    assert url.endswith(f"/brand/logo?v={version}")
    served = client.get(f"/brand/logo?v={version}", headers={"Authorization": ""})
    assert served.status_code == 200 and served.content == image
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"] and served.headers["x-content-type-options"] == "nosniff"
    svg = api.put("/api/v1/branding/logo", content=b"<svg onload=alert(1)/>", headers={"Content-Type": "image/svg"})
    assert svg.status_code == 422 and "logo" in svg.json()["detail"]
    huge = api.put("/api/v1/branding/logo", content=b"\x89PNG" + b"0" * (rules.MAX_LOGO_BYTES + 1))
    assert huge.status_code == 413
    assert api.delete("/api/v1/branding/logo").json()["logo_url"] is None
    assert client.get("/brand/logo").status_code == 404


def _inline_styles(html: str) -> list[str]:
    return re.findall(r"<style>(.*?)</style>", html, re.S)


def test_the_hosted_page_and_kiosk_show_the_branding_under_their_csp(api: TestClient, db: Database) -> None:
    live_survey(db, "post-support-csat")
    api.patch("/api/v1/branding", json={"organisation_name": "Larkspur", "primary_colour": "#1d6b52"})
    page = api.get("/kiosk/post-support-csat")
    assert page.status_code == 200
    assert 'id="brand-name">Larkspur<' in page.text
    styles = _inline_styles(page.text)
    assert any("--brand:#1d6b52" in style and "--on-brand:#ffffff" in style for style in styles)
    policy = page.headers["content-security-policy"]
    for style in styles:  # every inline stylesheet is allowed by its hash, and nothing else is
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    api.put("/api/v1/branding/logo", content=png(), headers={"Content-Type": "image/png"})
    with_logo = api.get("/kiosk/post-support-csat").text
    assert re.search(r'<img src="/brand/logo\?v=[0-9a-f]{12}" alt="Larkspur" id="brand-logo">', with_logo)


def test_without_branding_pages_keep_their_own_colour(client: TestClient, db: Database) -> None:
    live_survey(db, "post-support-csat")
    page = client.get("/kiosk/post-support-csat").text
    assert 'id="brand"' not in page
    assert any("--brand:#0b57d0" in style for style in _inline_styles(page))


def test_the_widget_gets_the_colours(api: TestClient) -> None:
    site = api.post("/api/v1/widget-sites", json={"name": "shop", "allowed_origins": ["https://shop.example"]})
    assert site.status_code == 201, site.text
    api.patch("/api/v1/branding", json={"organisation_name": "Larkspur", "primary_colour": "#ffe680"})
    answer = api.get(
        "/widget/v1/config", params={"site_key": site.json()["key"]}, headers={"Origin": "https://shop.example"}
    )
    assert answer.status_code == 200, answer.text
    config = answer.json()
    assert config["brand"] == {"organisation_name": "Larkspur", "colour": "#ffe680", "text_colour": "#1b1f24"}


@pytest.fixture
def cli(db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    with commands_on(db_url, monkeypatch):
        yield CliRunner()


def test_the_cli_sets_and_shows_the_branding(cli: CliRunner, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    done = cli.invoke(cli_app, ["branding", "set", "--name", "Larkspur", "--colour", "#1D6B52", "--logo", str(logo)])
    assert done.exit_code == 0, done.output
    shown = cli.invoke(cli_app, ["branding", "show"])
    assert "organisation name: Larkspur" in shown.output and "#1d6b52" in shown.output
    assert "/brand/logo?v=" in shown.output
    bad = cli.invoke(cli_app, ["branding", "set", "--colour", "teal"])
    assert bad.exit_code == 1 and "--colour" in bad.output
    not_image = tmp_path / "logo.svg"
    not_image.write_text("<svg/>")
    refused = cli.invoke(cli_app, ["branding", "set", "--logo", str(not_image)])
    assert refused.exit_code == 1 and "PNG, JPEG, GIF or WebP" in refused.output
    removed = cli.invoke(cli_app, ["branding", "set", "--no-logo"])
    assert removed.exit_code == 0 and "logo:              -" in removed.output
