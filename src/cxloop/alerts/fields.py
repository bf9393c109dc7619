"""The one registry of what an alert rule can look at (condition FIELDS, per rule source) and how it compares
(OPERATORS).

A field has a kind (number on a scale, text, a choice, an id, a segment key) and the items it exists on; a
condition on a field an item does not carry (NPS on a review) never holds. `sentiment` and `sentiment_score` come
from the stored text analysis of the item's text, `theme` from the themes stored with it: a rule naming them is
evaluated once the worker's enrichment of the item is stored (text/enrichment.py), never scoring text itself.
Anomaly rules have fields of their own: what the anomaly scan stores about a series and its change (docs/alerts.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cxloop.alerts.enums import AlertSource as Source
from cxloop.alerts.enums import RuleSource
from cxloop.analytics.enums import AnomalyDirection, AnomalyKind
from cxloop.text.enums import SentimentLabel

__all__ = ["FIELDS", "OPERATORS", "ConditionField", "Kind", "Op", "RuleSource", "Source", "field_names"]


class Kind(StrEnum):
    number = "number"
    text = "text"
    choice = "choice"
    id = "id"
    segment = "segment"


class Op(StrEnum):
    le = "<="
    ge = ">="
    eq = "="
    ne = "!="
    in_ = "in"
    contains = "contains"


OPERATORS: dict[Kind, frozenset[Op]] = {
    Kind.number: frozenset({Op.le, Op.ge, Op.eq, Op.ne, Op.in_}),
    Kind.text: frozenset({Op.contains, Op.eq, Op.ne, Op.in_}),
    Kind.choice: frozenset({Op.eq, Op.ne, Op.in_}),
    Kind.id: frozenset({Op.eq, Op.ne, Op.in_}),
    Kind.segment: frozenset({Op.eq, Op.ne, Op.in_}),
}

BOTH = frozenset({Source.response, Source.feedback})
ANOMALIES = frozenset({Source.anomaly})
RESPONSES = frozenset({Source.response})
FEEDBACK = frozenset({Source.feedback})


@dataclass(frozen=True)
class ConditionField:
    name: str
    kind: Kind
    sources: frozenset[Source]
    description: str
    low: float | None = None  # a number's scale
    high: float | None = None
    unavailable: str | None = None  # why a rule cannot name it yet
    choices: tuple[str, ...] = ()  # a choice field's only values, when they are fixed
    from_text: bool = False  # read from the text analysis of the item's text (alerts.service adds it to the facts)


_FEEDBACK_FIELDS = (
    ConditionField("nps", Kind.number, RESPONSES, "NPS answer, 0-10 (detractors: <= 6)", 0, 10),
    ConditionField("csat", Kind.number, RESPONSES, "CSAT answer, 1-5 (unsatisfied: <= 2)", 1, 5),
    ConditionField("ces", Kind.number, RESPONSES, "CES answer, 1-7, higher is easier (hard: <= 3)", 1, 7),
    ConditionField("rating", Kind.number, FEEDBACK, "a feedback item's star rating, 1-5", 1, 5),
    ConditionField("comment", Kind.text, RESPONSES, "a response's comment"),
    ConditionField("text", Kind.text, BOTH, "a response's comment or a feedback item's text"),
    ConditionField("channel", Kind.choice, BOTH, "the channel it came through (email, web, review...)"),
    ConditionField("survey", Kind.id, RESPONSES, "the survey's id"),
    ConditionField("touchpoint", Kind.id, BOTH, "the touchpoint's id"),
    ConditionField("stage", Kind.id, BOTH, "the journey stage's id (the item's, else the customer's)"),
    ConditionField("segment", Kind.segment, BOTH, "a segment's key: the customer matches its filter now"),
    ConditionField("account_tier", Kind.choice, BOTH, "the plan of the customer's account"),
    ConditionField("arr", Kind.number, BOTH, "the annual recurring revenue of the customer's account"),
    ConditionField(
        "churn_risk",
        Kind.number,
        BOTH,
        "the customer's churn probability, 0-1, from the latest daily churn scoring (docs/churn.md)",
        0,
        1,
    ),
    ConditionField(
        "sentiment",
        Kind.choice,
        BOTH,
        "the sentiment label of the comment or text (negative, neutral, positive)",
        choices=tuple(SentimentLabel),
        from_text=True,
    ),
    ConditionField(
        "sentiment_score",
        Kind.number,
        BOTH,
        "the sentiment score of the comment or text, -1 (negative) to 1 (positive)",
        -1,
        1,
        from_text=True,
    ),
    ConditionField(
        "theme",
        Kind.choice,
        BOTH,
        "a theme of the comment or text (docs/themes.md), by name: == and in hold when it is one of the item's themes",
        from_text=True,
    ),
)

_ANOMALY_FIELDS = (
    ConditionField(
        "metric", Kind.choice, ANOMALIES, "what was measured: nps, csat, ces, response_rate, or theme:<name>"
    ),
    ConditionField(
        "kind", Kind.choice, ANOMALIES, "score (NPS, CSAT, CES), share or volume (counts)", choices=tuple(AnomalyKind)
    ),
    ConditionField(
        "direction", Kind.choice, ANOMALIES, "drop, rise, or surge (a count)", choices=tuple(AnomalyDirection)
    ),
    ConditionField("granularity", Kind.choice, ANOMALIES, "the period tested: day or week", choices=("day", "week")),
    ConditionField("segment", Kind.segment, ANOMALIES, "the key of the segment a score series is measured in"),
    ConditionField("channel", Kind.choice, ANOMALIES, "the channel of a response-rate series (email, sms, ...)"),
    ConditionField("theme", Kind.choice, ANOMALIES, "the theme's name, for a theme's mentions and negative share"),
    ConditionField("touchpoint", Kind.id, ANOMALIES, "the touchpoint's id, for a metric's series per touchpoint"),
    ConditionField("scope", Kind.text, ANOMALIES, "who was measured, in words ('Enterprise', 'all customers')"),
    ConditionField("value", Kind.number, ANOMALIES, "the period's figure (NPS, %, CES, or a count)"),
    ConditionField("baseline", Kind.number, ANOMALIES, "the figure of the periods before it, pooled"),
    ConditionField(
        "change", Kind.number, ANOMALIES, "value - baseline: NPS points, percentage points, CES points or a count"
    ),
    ConditionField("margin", Kind.number, ANOMALIES, "the 95% margin of the change (0 for a count surge)"),
    ConditionField("n", Kind.number, ANOMALIES, "how many answers, trials or mentions the period has"),
    ConditionField("baseline_n", Kind.number, ANOMALIES, "how many the baseline has"),
    ConditionField("p_value", Kind.number, ANOMALIES, "the change's p-value, 0-1", 0, 1),
    ConditionField("q_value", Kind.number, ANOMALIES, "its q-value, 0-1 (false-discovery rate over the scan)", 0, 1),
)

FIELDS: dict[RuleSource, dict[str, ConditionField]] = {
    RuleSource.feedback: {f.name: f for f in _FEEDBACK_FIELDS},
    RuleSource.anomaly: {f.name: f for f in _ANOMALY_FIELDS},
}


def field_names(source: RuleSource) -> str:
    """The fields a rule of `source` can name, for error messages."""
    return ", ".join(n for n, f in FIELDS[source].items() if f.unavailable is None)
