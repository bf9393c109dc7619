"""What widget.js's preview mode is handed instead of asking the server (docs/channels-widget.md, "Preview"): the
site settings (`WidgetConfig`: no feedback button, prompt at once), the first prompt (`Prompt`, as decide answers)
and every question with its condition, for a survey definition that need not be stored. The survey builder puts it
in the preview page; the script answers its own requests from it and makes none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxloop.channels.widget import questions
from cxloop.channels.widget.schemas import Prompt, WidgetBrand, WidgetConfig

# Stands in for the prompt token; no server ever reads it.
PREVIEW_PROMPT = "preview"


def preview_data(
    definition: Mapping[str, Any], *, survey_key: str, locale: str, default_locale: str, brand: WidgetBrand
) -> dict[str, Any]:
    """The preview block for `definition` in `locale` (JSON-ready)."""
    config = WidgetConfig(channel="web", delays=[0], events=[], anonymous_cap_days=0, feedback=None, brand=brand)
    first = questions.next_question(definition, {}, after=None, locale=locale, default_locale=default_locale)
    prompt = None
    if first is not None:
        prompt = Prompt(token=PREVIEW_PROMPT, survey=survey_key, locale=locale, question=first).model_dump(mode="json")
    return {
        "config": config.model_dump(mode="json"),
        "prompt": prompt,
        "questions": questions.conditional_questions(definition, locale, default_locale),
    }
