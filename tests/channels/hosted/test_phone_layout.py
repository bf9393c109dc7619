"""The hosted page on a 360 px phone, in Debian's Chromium: the 0-10 scale on one row, nothing wider than the
screen, and the progress line. A screenshot is kept as a test artefact (test-artefacts/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxloop.storage.database import Database
from tests.channels.hosted.conftest import invite
from tests.live import LiveServer

ARTEFACTS = Path(__file__).resolve().parents[3] / "test-artefacts"


@pytest.mark.parametrize("width", [360, 320])
def test_the_nps_scale_is_one_row_on_a_phone(
    client: TestClient, db: Database, nps_survey: int, live_server: LiveServer, browser: Any, width: int
) -> None:
    invited = invite(client, db, nps_survey)
    context = browser.new_context(viewport={"width": width, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/s/{invited.token}")
        labels = page.locator(".scale label")
        assert labels.count() == 11
        boxes = [labels.nth(i).bounding_box() for i in range(11)]
        assert len({round(box["y"]) for box in boxes}) == 1, "every value on one row"
        assert min(box["width"] for box in boxes) >= 24, "targets of at least 24 px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "nothing wider than the screen"
        assert page.locator("#step").inner_text() == "Question 1 of 2"
        ARTEFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / f"hosted-nps-{width}px.png"), full_page=True)
    finally:
        context.close()
