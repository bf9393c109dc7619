"""Weak labels: the score a customer gave beside a comment says which way the comment leans. One mapping, used by
`cxloop text learn` and by bench/bench_text.py:

| score | negative | neutral | positive |
| --- | --- | --- | --- |
| NPS 0-10 (likelihood to recommend) | 0-6 (detractors) | 7-8 (passives) | 9-10 (promoters) |
| CSAT 1-5, star rating 1-5 | 1-2 | 3 | 4-5 |

A response with both an NPS and a CSAT answer is labelled by its NPS answer.
"""

from __future__ import annotations

from cxloop.text.enums import SentimentLabel


def from_nps(nps: int) -> SentimentLabel:
    if nps <= 6:
        return SentimentLabel.negative
    return SentimentLabel.neutral if nps <= 8 else SentimentLabel.positive


def from_five_point(rating: int) -> SentimentLabel:
    if rating <= 2:
        return SentimentLabel.negative
    return SentimentLabel.neutral if rating == 3 else SentimentLabel.positive


def weak_label(*, nps: int | None = None, csat: int | None = None, rating: int | None = None) -> SentimentLabel | None:
    """The label a comment's score implies, or None when it came with no score."""
    if nps is not None:
        return from_nps(nps)
    five = csat if csat is not None else rating
    return from_five_point(five) if five is not None else None
