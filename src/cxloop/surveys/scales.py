"""The one table of score scales: the lowest and highest valid answer of each scored metric.

Surveys validate answers with it, collection and analytics count and summarise within it. It lives here, at the
lowest layer that knows the words, so every user imports it (pyproject's import-linter layers).
"""

from __future__ import annotations

from typing import Final

from cxloop.surveys.enums import QuestionKind

# "rating" is a feedback item's 1-5 rating: CSAT from feedback, counted apart from survey CSAT.
SCALES: Final[dict[str, tuple[int, int]]] = {
    QuestionKind.nps.value: (0, 10),
    QuestionKind.csat.value: (1, 5),
    QuestionKind.ces.value: (1, 7),
    "rating": (1, 5),
}
NPS, CSAT, CES, FEEDBACK_RATING = SCALES["nps"], SCALES["csat"], SCALES["ces"], SCALES["rating"]
SURVEY_METRICS: Final = ("nps", "csat", "ces")  # the scores a survey response carries
