"""Parsing CSV rows of responses and feedback without pydantic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cxloop.collection.records import FeedbackInput, FeedbackReader, HeaderError, ResponseInput, ResponseReader


def test_a_response_row_is_typed() -> None:
    reader = ResponseReader(
        [
            "survey",
            "customer_id",
            "channel",
            "submitted_at",
            "nps",
            "comment",
            "response_id",
            "answer.q1",
            "answer.topics",
        ]
    )
    parsed = reader.parse(["rnps", "c-9", "email", "2024-02-03T04:05:06Z", "8", " fine ", "r-1", "8", "a|b"])
    assert isinstance(parsed, ResponseInput)
    assert (parsed.survey, parsed.customer_external_id, parsed.channel, parsed.nps) == ("rnps", "c-9", "email", 8)
    assert parsed.submitted_at == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert parsed.comment == "fine" and parsed.idempotency_key == "r-1"
    assert parsed.answers == {"q1": "8", "topics": "a|b"}


def test_empty_cells_are_absent_and_defaults_apply() -> None:
    parsed = ResponseReader(["survey", "channel", "nps", "answer.q1"]).parse(["rnps", "", "", ""])
    assert isinstance(parsed, ResponseInput)
    assert (parsed.channel, parsed.nps, parsed.answers) == ("api", None, {})


def test_bad_cells_are_named_by_column() -> None:
    reader = ResponseReader(["survey", "channel", "submitted_at", "nps", "locale", "is_partial", "metadata"])
    problems = reader.parse(["", "fax", "yesterday", "7.5", "english!", "maybe", "[1]"])
    assert isinstance(problems, list)
    assert {p.field for p in problems} == {
        "survey",
        "channel",
        "submitted_at",
        "nps",
        "locale",
        "is_partial",
        "metadata",
    }


def test_short_rows_read_missing_cells_as_empty() -> None:
    parsed = ResponseReader(["survey", "nps", "comment"]).parse(["rnps"])
    assert isinstance(parsed, ResponseInput) and parsed.nps is None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["survey", "score"], "unknown column(s): score"),
        (["nps"], "missing column(s): survey"),
        (["survey", "nps", "nps"], "column(s) named twice: nps"),
    ],
)
def test_header_problems(header: list[str], message: str) -> None:
    with pytest.raises(HeaderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ResponseReader(header)


def test_a_feedback_row() -> None:
    reader = FeedbackReader(
        ["kind", "source", "id", "channel", "text", "rating", "author_email", "meta.lang", "posted_at"]
    )
    parsed = reader.parse(["review", "g2", "g-1", "review", "Nice", "5", "a@b.c", "en", "2024-01-01"])
    assert isinstance(parsed, FeedbackInput)
    assert (parsed.external_id, parsed.rating, parsed.metadata) == ("g-1", 5, {"lang": "en"})
    assert parsed.posted_at == datetime(2024, 1, 1, tzinfo=UTC)
    problems = reader.parse(["essay", "", "x", "review", "", "9", "", "", ""])
    assert isinstance(problems, list)
    assert {p.field for p in problems} == {"kind", "source", "text", "rating"}
