"""The site of docs/channels-widget.md, created exactly as the page says: surveys from the shipped templates, then
the documented body."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

DOC = Path(__file__).resolve().parents[3] / "docs" / "channels-widget.md"


def test_the_documented_site_is_created(api: TestClient) -> None:
    text = DOC.read_text()
    (template_keys,) = re.findall(r"for t in ([a-z -]+); do", text)
    templates = {t["key"]: t["survey"] for t in api.get("/api/v1/survey-templates").json()}
    for key in template_keys.split():
        made = api.post("/api/v1/surveys", json={**templates[key], "status": "live"})
        assert made.status_code == 201, made.text
    body = json.loads(re.search(r"/api/v1/widget-sites \\\n.*?-d '(\{.*?\})'", text, re.DOTALL).group(1))  # type: ignore[union-attr]
    created = api.post("/api/v1/widget-sites", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["feedback_survey"] == "site-feedback"
    assert [rule["survey"] for rule in created.json()["rules"]] == ["relationship-nps", "post-delivery-csat"]
