"""Hypothesis strategies that write valid segment filters over a small, known vocabulary."""

from __future__ import annotations

from hypothesis import strategies as st

TEXT_FIELDS = [
    "external_id",
    "email",
    "name",
    "locale",
    "timezone",
    "stage",
    "account",
    "account.plan",
    "account.owner",
]
DATE_FIELDS = ["signup_date", "account.renewal_date"]
ATTRIBUTES = ["plan", "company_size", "score", "tags", "trial", "joined", "nums", "note", "absent"]
ACCOUNT_ATTRIBUTES = ["account.region", "account.seats"]
EVENTS = ["ticket_solved", "'Order Completed'", "login"]
WORDS = [
    "enterprise",
    "free",
    "pro",
    "vip",
    "beta",
    "c1",
    "c7",
    "onboarding",
    "usage",
    "en-GB",
    "'a@x.com'",
    "'Ada'",
    "acme",
    "globex",
    "emea",
    "'Europe/Paris'",
    "'2024-03-01'",
    "'200'",
    "''",
    "'é'",
]
NUMBERS = ["0", "1", "2", "3", "7", "200", "250", "-1", "2.5", "1000", "99.99"]
DATES = ["2024-01-01", "'2024-03-01'", "2025-06-30", "today", "today - 30 days", "today + 60 days"]


def _text_condition() -> st.SearchStrategy[str]:
    field = st.sampled_from(TEXT_FIELDS)
    word = st.sampled_from(WORDS + ["3"])
    return st.one_of(
        st.tuples(field, st.sampled_from(["=", "!="]), word).map(" ".join),
        st.tuples(field, st.sampled_from(["in", "not in"]), st.lists(word, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])})"
        ),
        st.tuples(field, st.sampled_from(["contains", "not contains"]), word).map(" ".join),
        st.tuples(field, st.sampled_from(["is null", "is not null"])).map(" ".join),
    )


def _date_condition() -> st.SearchStrategy[str]:
    return st.tuples(
        st.sampled_from(DATE_FIELDS), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), st.sampled_from(DATES)
    ).map(" ".join) | st.tuples(st.sampled_from(DATE_FIELDS), st.sampled_from(["is null", "is not null"])).map(" ".join)


def _number_condition() -> st.SearchStrategy[str]:
    op = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    event = st.tuples(st.sampled_from(EVENTS), st.sampled_from(["", ", 1 day", ", 30 days", ", 400 days"])).map(
        lambda t: f"event({t[0]}{t[1]})"
    )
    return st.one_of(
        st.tuples(st.just("account.arr"), op, st.sampled_from(NUMBERS)).map(" ".join),
        st.tuples(
            st.sampled_from(["tenure", "tenure_days"]),
            op,
            st.sampled_from(["0", "10", "90", "90.5", "365"]),
            st.sampled_from(["", " days"]),
        ).map(lambda t: f"{t[0]} {t[1]} {t[2]}{t[3]}"),
        st.tuples(event, op, st.sampled_from(["0", "1", "2", "3"])).map(" ".join),
        event,
        st.tuples(st.just("tenure"), st.sampled_from(["in", "not in"]), st.sampled_from(["(10, 100)", "(3 days)"])).map(
            " ".join
        ),
    )


def _attribute_condition() -> st.SearchStrategy[str]:
    field = st.sampled_from(ATTRIBUTES + ACCOUNT_ATTRIBUTES)
    scalar = st.sampled_from(WORDS + NUMBERS + ["true", "false", "2024-01-01"])
    return st.one_of(
        st.tuples(field, st.sampled_from(["=", "!="]), scalar).map(" ".join),
        st.tuples(field, st.sampled_from(["<", "<=", ">", ">="]), st.sampled_from(NUMBERS + DATES)).map(" ".join),
        st.tuples(field, st.sampled_from(["in", "not in"]), st.lists(scalar, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])})"
        ),
        st.tuples(field, st.sampled_from(["contains", "not contains"]), st.sampled_from(WORDS + NUMBERS)).map(" ".join),
        st.tuples(field, st.sampled_from(["is null", "is not null"])).map(" ".join),
    )


def conditions() -> st.SearchStrategy[str]:
    return st.one_of(_text_condition(), _date_condition(), _number_condition(), _attribute_condition())


def filters() -> st.SearchStrategy[str]:
    """Valid filter text: conditions joined by and/or, negated and parenthesised."""
    return st.recursive(
        conditions(),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join),
            inner.map(lambda t: f"not ({t})"),
            inner.map(lambda t: f"({t})"),
        ),
        max_leaves=6,
    )
