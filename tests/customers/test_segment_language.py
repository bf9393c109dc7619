"""The segment filter language: what parses, what it means, where errors point, and that nothing else escapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxloop.core.errors import InvalidInput
from cxloop.customers.errors import InvalidFilter
from cxloop.customers.segment_ast import (
    AccountAttribute,
    And,
    Attribute,
    Boolean,
    Builtin,
    Comparison,
    Contains,
    DateValue,
    EventCount,
    InList,
    IsNull,
    Not,
    Number,
    Or,
    Tenure,
    Text,
    Today,
    describe_filter,
    format_filter,
)
from cxloop.customers.segment_language import parse_filter
from tests.customers.filter_strategies import filters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plan = enterprise", Comparison(Attribute("plan"), "=", Text("enterprise"))),
        ("company_size >= 200", Comparison(Attribute("company_size"), ">=", Number(Decimal(200)))),
        ("score < -1.5", Comparison(Attribute("score"), "<", Number(Decimal("-1.5")))),
        ("trial = true", Comparison(Attribute("trial"), "=", Boolean(True))),
        ("EMAIL_OK == 'x'", Comparison(Attribute("EMAIL_OK"), "=", Text("x"))),
        ("email = 'Ada@Example.com'", Comparison(Builtin("email"), "=", Text("ada@example.com"))),
        ("external_id = 123", Comparison(Builtin("external_id"), "=", Text("123"))),
        ("locale <> en-GB", Comparison(Builtin("locale"), "!=", Text("en-GB"))),
        ("stage in (onboarding, usage)", InList(Builtin("stage"), (Text("onboarding"), Text("usage")))),
        ("plan not in ('a b', c)", InList(Attribute("plan"), (Text("a b"), Text("c")), negated=True)),
        ("tags contains vip", Contains(Attribute("tags"), Text("vip"))),
        ("tags not contains 7", Contains(Attribute("tags"), Number(Decimal(7)), negated=True)),
        ("name is null", IsNull(Builtin("name"))),
        ("account is not null", IsNull(Builtin("account"), negated=True)),
        ("signup_date >= '2024-01-31'", Comparison(Builtin("signup_date"), ">=", DateValue(date(2024, 1, 31)))),
        ("signup_date < 2024-01-31", Comparison(Builtin("signup_date"), "<", DateValue(date(2024, 1, 31)))),
        ("signup_date > today - 30 days", Comparison(Builtin("signup_date"), ">", Today(-30))),
        ("account.renewal_date <= today + 60 days", Comparison(Builtin("account.renewal_date"), "<=", Today(60))),
        ("tenure > 90 days", Comparison(Tenure(), ">", Number(Decimal(90)))),
        ("tenure_days > 90", Comparison(Tenure(), ">", Number(Decimal(90)))),
        ("event(ticket_solved, 90 days) >= 2", Comparison(EventCount("ticket_solved", 90), ">=", Number(Decimal(2)))),
        ("event('Order Completed')", Comparison(EventCount("Order Completed", None), ">=", Number(Decimal(1)))),
        ("account.plan = pro", Comparison(Builtin("account.plan"), "=", Text("pro"))),
        ("account.region = emea", Comparison(AccountAttribute("region"), "=", Text("emea"))),
        ("account.attributes.plan = x", Comparison(AccountAttribute("plan"), "=", Text("x"))),
        ("attributes.email = x", Comparison(Attribute("email"), "=", Text("x"))),
        ("joined < '2024-02-01'", Comparison(Attribute("joined"), "<", DateValue(date(2024, 2, 1)))),
        ("note = 'it\\'s'", Comparison(Attribute("note"), "=", Text("it's"))),
        (
            "a = 1 AND b = 2 or c = 3",
            Or(
                (
                    And(
                        (
                            Comparison(Attribute("a"), "=", Number(Decimal(1))),
                            Comparison(Attribute("b"), "=", Number(Decimal(2))),
                        )
                    ),
                    Comparison(Attribute("c"), "=", Number(Decimal(3))),
                )
            ),
        ),
        (
            "a = 1 and (b = 2 or c = 3)",
            And(
                (
                    Comparison(Attribute("a"), "=", Number(Decimal(1))),
                    Or(
                        (
                            Comparison(Attribute("b"), "=", Number(Decimal(2))),
                            Comparison(Attribute("c"), "=", Number(Decimal(3))),
                        )
                    ),
                )
            ),
        ),
        ("not not a = 1", Not(Not(Comparison(Attribute("a"), "=", Number(Decimal(1)))))),
        ("(a = 1 and b = 1) and c = 1", And(tuple(Comparison(Attribute(n), "=", Number(Decimal(1))) for n in "abc"))),
    ],
)
def test_valid_filters_parse_to_their_meaning(text: str, expected: object) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("company_size > ", 16, "expected a value after '>'"),
        ("company_size >  and x = 1", 17, "expected a value after '>', found 'and'"),
        ("", 1, "the filter is empty"),
        ("plan", 5, "expected an operator"),
        ("plan = enterprise and", 22, "expected a condition"),
        ("(plan = a", 10, "to close the '(' at column 1"),
        ("plan = a)", 9, "no matching '('"),
        ("plan = a b", 10, "expected 'and', 'or' or the end"),
        ("email < 'x'", 7, "'<' compares numbers or dates, and 'email' is text"),
        ("signup_date = soon", 15, "'signup_date' is a date"),
        ("signup_date > 2024-02-30", 15, "not a real date"),
        ("account.arr > lots", 15, "'account.arr' is a number"),
        ("plan > abc", 8, "'>' compares numbers or dates; 'abc' is neither"),
        ("trial > true", 9, "compares numbers or dates"),
        ("x = 'open", 5, "never closed"),
        ("x = 1 $", 7, "unexpected character '$'"),
        ("x = null", 5, "use 'is null'"),
        ("x is nothing", 6, "expected 'null' after 'is'"),
        ("x = 3 days", 7, "'days' only follows a number compared with tenure"),
        ("event(, 3 days) > 1", 7, "expected an event name"),
        ("event(x, 0 days) > 1", 10, "between 1 and 100000"),
        ("event(x, 3) > 1", 11, "expected 'days' after 3"),
        ("event(x, 3 days > 1", 17, "to close the 'event('"),
        ("event(x) is null", 10, "never null"),
        ("signup_date contains 2024", 13, "contains works on text and lists"),
        ("and = 1", 1, "expected a field name, found the keyword 'and'"),
        ("foo-bar = 1", 1, "'foo-bar' is not a field"),
        ("a.b.c = 1", 1, "'a.b.c' is not a field"),
        ("stage in onboarding", 10, "expected '(' after 'in'"),
        ("stage in (a b)", 13, "expected ',' or ')'"),
        ("signup_date > today - 3", 24, "expected 'days' after 'today - 3'"),
        ("x = 1234567890123456789", 5, "at most 18 digits"),
        ("(" * 41 + "a = 1" + ")" * 41, 41, "nests more than 40 levels"),
    ],
)
def test_errors_name_the_column_and_what_was_expected(text: str, column: int, words: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_filter(text)
    error = caught.value
    assert error.column == column, error.message
    assert words in error.reason
    assert error.errors[0].field == "filter"
    assert error.errors[0].message.startswith(f"at column {column}: ")
    assert isinstance(error, InvalidInput)


def test_a_filter_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(InvalidFilter, match="longer than 4000"):
        parse_filter("a = 1 or " * 500 + "a = 1")


def test_traits_say_what_the_filter_reads() -> None:
    traits = describe_filter(parse_filter("event(x, 3 days) > 1 and account.plan = a or tenure > 3 days"))
    assert traits.uses_events and traits.uses_accounts and traits.time_dependent
    assert traits.fields == ("account.plan", "event(x)", "tenure")
    plain = describe_filter(parse_filter("plan = a and signup_date > 2024-01-01"))
    assert not (plain.uses_events or plain.uses_accounts or plain.time_dependent)
    assert describe_filter(parse_filter("signup_date > today")).time_dependent
    assert not describe_filter(parse_filter("event(x) >= 1")).time_dependent


@pytest.mark.parametrize(
    "text",
    [
        "attributes.today = 1",
        "attributes.email contains '@'",
        "account.attributes.plan in (a, 'b c', 3, true)",
        "note = 'and'",
        "note = 'it\\'s \\\\ done'",
        "x = -0.50",
        "tenure in (1 days, 2 days)",
        "not (a = 1 or b = 2) and c is not null",
    ],
)
def test_canonical_text_parses_back_to_the_same_filter(text: str) -> None:
    node = parse_filter(text)
    assert parse_filter(format_filter(node)) == node
    assert format_filter(parse_filter(format_filter(node))) == format_filter(node)


@settings(max_examples=300, deadline=None)
@given(filters())
def test_round_trip_over_generated_filters(text: str) -> None:
    node = parse_filter(text)
    printed = format_filter(node)
    assert parse_filter(printed) == node
    assert format_filter(parse_filter(printed)) == printed


_TOKENS = st.sampled_from(
    [
        "plan",
        "=",
        "!=",
        "<",
        ">=",
        "in",
        "not",
        "and",
        "or",
        "(",
        ")",
        ",",
        "'x'",
        '"y',
        "3",
        "-",
        "+",
        "days",
        "today",
        "event",
        "is",
        "null",
        "contains",
        "2024-01-01",
        "account.arr",
        "tenure",
        "true",
        "\\",
        "é",
        "1.5",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_TOKENS, max_size=14).map(" ".join)))
def test_any_text_either_parses_or_raises_invalid_filter(text: str) -> None:
    try:
        node = parse_filter(text)
    except InvalidFilter as exc:
        assert 1 <= exc.column <= len(text) + 1
        assert exc.errors[0].field == "filter"
    else:
        assert parse_filter(format_filter(node)) == node
