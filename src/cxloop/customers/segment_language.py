"""The segment filter language: a hand-written tokenizer and recursive-descent parser producing `segment_ast` nodes.

Pure (no database). The grammar, fields and error messages are documented in docs/segments.md; text is parsed,
never evaluated. Every failure is an `InvalidFilter` naming the 1-based column and what was expected there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from cxloop.customers.errors import InvalidFilter
from cxloop.customers.rules import ATTRIBUTE_NAME
from cxloop.customers.segment_ast import (
    BUILTINS,
    DAY_WORDS,
    KEYWORDS,
    ORDERED_OPS,
    WORD,
    AccountAttribute,
    Attribute,
    Boolean,
    Builtin,
    Comparison,
    Contains,
    DateValue,
    EventCount,
    Field,
    FieldType,
    InList,
    IsNull,
    Node,
    Not,
    Number,
    Tenure,
    Text,
    Today,
    Value,
    and_,
    field_type,
    format_field,
    format_number,
    or_,
)

MAX_LENGTH = 4000
MAX_DEPTH = 40
MAX_LIST = 500
MAX_DAYS = 100_000
MAX_DIGITS = 18


# Tokenizer ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # word, string, number, date, op, (, ), ",", +, -, end
    text: str
    column: int  # 1-based

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the filter"
        return repr(self.text) if self.kind != "string" else f"the text {self.text!r}"


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?![\w.\-])")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_OP = re.compile(r"!=|<>|<=|>=|==|=|<|>")
_PUNCT = {"(": "(", ")": ")", ",": ",", "+": "+", "-": "-"}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        column = i + 1
        if char in "'\"":
            value, i = _read_string(text, i)
            tokens.append(Token("string", value, column))
            continue
        for kind, pattern in (("date", _DATE), ("number", _NUMBER), ("word", WORD), ("op", _OP)):
            match = pattern.match(text, i)
            if match:
                raw = match.group()
                tokens.append(Token(kind, {"<>": "!=", "==": "="}.get(raw, raw), column))
                i = match.end()
                break
        else:
            if char not in _PUNCT:
                raise InvalidFilter(f"unexpected character {char!r}", column=column)
            tokens.append(Token(_PUNCT[char], char, column))
            i += 1
    tokens.append(Token("end", "", n + 1))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote, i, out = text[start], start + 1, []
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == quote:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise InvalidFilter(f"this text is never closed: add the closing {quote}", column=start + 1)


# Parser ---------------------------------------------------------------------------------------------------------
def parse_filter(text: str) -> Node:
    """Parse filter text into its AST, or raise InvalidFilter (field `filter`) naming the column."""
    if len(text) > MAX_LENGTH:
        raise InvalidFilter(f"the filter is longer than {MAX_LENGTH} characters", column=MAX_LENGTH + 1)
    return _Parser(tokenize(text)).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    # -- token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != "end":
            self.i += 1
        return token

    def is_kw(self, word: str, token: Token | None = None) -> bool:
        token = token or self.tok
        return token.kind == "word" and token.text.lower() == word

    def fail(self, reason: str, token: Token | None = None) -> InvalidFilter:
        return InvalidFilter(reason, column=(token or self.tok).column)

    def nest(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"the filter nests more than {MAX_DEPTH} levels deep", token)

    # -- grammar
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.fail("the filter is empty: expected a condition such as plan = enterprise")
        node = self.or_expr()
        if self.tok.kind == ")":
            raise self.fail("this ')' has no matching '('")
        if self.tok.kind != "end":
            raise self.fail(f"expected 'and', 'or' or the end of the filter, found {self.tok.describe()}")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.is_kw("or"):
            self.advance()
            items.append(self.and_expr())
        return or_(*items)

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.is_kw("and"):
            self.advance()
            items.append(self.not_expr())
        return and_(*items)

    def not_expr(self) -> Node:
        if self.is_kw("not"):
            self.nest(self.advance())
            node: Node = Not(self.not_expr())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        if self.tok.kind == "(":
            opening = self.advance()
            self.nest(opening)
            node = self.or_expr()
            if self.tok.kind != ")":
                raise self.fail(
                    f"expected 'and', 'or' or ')' to close the '(' at column {opening.column}, "
                    f"found {self.tok.describe()}"
                )
            self.advance()
            self.depth -= 1
            return node
        return self.condition()

    def condition(self) -> Node:
        token = self.tok
        if token.kind == "word" and self.is_kw("event") and self.peek().kind == "(":
            field: Field = self.event_call()
        elif token.kind == "word":
            field = self.field_ref(self.advance())
        else:
            raise self.fail(f"expected a condition such as plan = enterprise, found {token.describe()}")
        name = format_field(field)
        op_token = self.tok
        if op_token.kind == "op":
            self.advance()
            return self.comparison(field, op_token)
        if self.is_kw("in"):
            self.advance()
            return InList(field, self.value_list(field))
        if self.is_kw("contains"):
            self.advance()
            return Contains(field, self.contains_value(field, op_token))
        if self.is_kw("not") and (self.is_kw("in", self.peek()) or self.is_kw("contains", self.peek())):
            self.advance()
            if self.is_kw("in"):
                self.advance()
                return InList(field, self.value_list(field), negated=True)
            self.advance()
            return Contains(field, self.contains_value(field, op_token), negated=True)
        if self.is_kw("is"):
            self.advance()
            negated = self.is_kw("not")
            if negated:
                self.advance()
            if not self.is_kw("null"):
                raise self.fail(f"expected 'null' after 'is{' not' if negated else ''}', found {self.tok.describe()}")
            self.advance()
            if isinstance(field, EventCount):
                raise self.fail("event(...) counts events and is never null; compare it with a number", op_token)
            return IsNull(field, negated=negated)
        if isinstance(field, EventCount):
            return Comparison(field, ">=", Number(Decimal(1)))  # a bare event(...) means "at least once"
        raise self.fail(
            f"expected an operator (=, !=, <, <=, >, >=, in, not in, contains, is null) after {name!r}, "
            f"found {op_token.describe()}"
        )

    def field_ref(self, token: Token) -> Field:
        text = token.text
        if text.lower() in KEYWORDS:
            raise self.fail(
                f"expected a field name, found the keyword {text!r} (write attributes.{text} for an attribute)", token
            )
        if text in BUILTINS:
            return Builtin(text)
        if text in ("tenure", "tenure_days"):
            return Tenure()
        parts = text.split(".")
        if len(parts) == 2 and parts[0] == "attributes" and ATTRIBUTE_NAME.match(parts[1]):
            return Attribute(parts[1])
        if len(parts) == 3 and parts[:2] == ["account", "attributes"] and ATTRIBUTE_NAME.match(parts[2]):
            return AccountAttribute(parts[2])
        if len(parts) == 2 and parts[0] == "account" and ATTRIBUTE_NAME.match(parts[1]):
            return AccountAttribute(parts[1])
        if len(parts) == 1 and ATTRIBUTE_NAME.match(text) and text != "attributes":
            return Attribute(text)
        raise self.fail(
            f"{text!r} is not a field: use a built-in field (email, stage, signup_date, account.plan, ...), "
            "tenure, event(...), or an attribute name made of letters, digits and '_'",
            token,
        )

    def event_call(self) -> EventCount:
        self.advance()  # event
        opening = self.advance()  # (
        name_token = self.tok
        if name_token.kind not in ("word", "string") or not name_token.text:
            raise self.fail(f"expected an event name after 'event(', found {name_token.describe()}")
        self.advance()
        days: int | None = None
        if self.tok.kind == ",":
            self.advance()
            days_token = self.tok
            if days_token.kind != "number" or "." in days_token.text:
                raise self.fail(f"expected a whole number of days, e.g. event({name_token.text}, 90 days)")
            days = self.bounded_days(days_token)
            self.advance()
            if not (self.tok.kind == "word" and self.tok.text.lower() in DAY_WORDS):
                raise self.fail(f"expected 'days' after {days_token.text}, found {self.tok.describe()}")
            self.advance()
        if self.tok.kind != ")":
            raise self.fail(
                f"expected ',' or ')' to close the 'event(' at column {opening.column}, found {self.tok.describe()}"
            )
        self.advance()
        return EventCount(name_token.text, days)

    def bounded_days(self, token: Token) -> int:
        days = int(token.text) if len(token.text) <= 7 else MAX_DAYS + 1
        if not 1 <= days <= MAX_DAYS:
            raise self.fail(f"the number of days must be between 1 and {MAX_DAYS}", token)
        return days

    # -- values
    def literal(self, after: Token) -> tuple[Value, Token, bool]:
        """The next literal, the token it starts at, and whether a 'days' unit followed it."""
        token = self.tok
        if token.kind == "string":
            self.advance()
            return Text(token.text), token, False
        if token.kind == "date":
            self.advance()
            return _date(token), token, False
        if token.kind == "-" and self.peek().kind == "number":
            self.advance()
            number = self.number(self.advance())
            return Number(-number), token, self.unit()
        if token.kind == "number":
            return Number(self.number(self.advance())), token, self.unit()
        if token.kind == "word":
            word = token.text.lower()
            if word in ("true", "false"):
                self.advance()
                return Boolean(word == "true"), token, False
            if word == "today":
                self.advance()
                return self.today_offset(), token, False
            if word == "null":
                raise self.fail("use 'is null' or 'is not null' to test for a missing value", token)
            if word not in KEYWORDS:
                self.advance()
                return Text(token.text), token, False
        where = "after 'in ('" if after.kind == "(" else f"after {after.text!r}"
        raise self.fail(f"expected a value {where}, found {token.describe()}")

    def number(self, token: Token) -> Decimal:
        if len(token.text.replace(".", "")) > MAX_DIGITS:
            raise self.fail(f"numbers have at most {MAX_DIGITS} digits", token)
        try:
            return Decimal(token.text)
        except InvalidOperation:  # the tokenizer only lets digits through; kept for safety
            raise self.fail(f"{token.text!r} is not a number", token) from None

    def unit(self) -> bool:
        if self.tok.kind == "word" and self.tok.text.lower() in DAY_WORDS:
            self.advance()
            return True
        return False

    def today_offset(self) -> Today:
        if self.tok.kind not in ("+", "-"):
            return Today(0)
        sign = self.advance()
        if self.tok.kind != "number" or "." in self.tok.text:
            raise self.fail(f"expected a whole number of days after 'today {sign.text}'")
        days = self.bounded_days(self.tok)
        self.advance()
        if not self.unit():
            raise self.fail(f"expected 'days' after 'today {sign.text} {days}', found {self.tok.describe()}")
        return Today(days if sign.kind == "+" else -days)

    def value_list(self, field: Field) -> tuple[Value, ...]:
        opening = self.tok
        if opening.kind != "(":
            raise self.fail(f"expected '(' after 'in', e.g. stage in (onboarding, usage), found {opening.describe()}")
        self.advance()
        values: list[Value] = []
        while True:
            values.append(self.value_for(field, "=", self.tokens[self.i - 1]))
            if len(values) > MAX_LIST:
                raise self.fail(f"a list holds at most {MAX_LIST} values")
            if self.tok.kind == ",":
                self.advance()
                continue
            if self.tok.kind == ")":
                self.advance()
                return tuple(values)
            raise self.fail(
                f"expected ',' or ')' in the list opened at column {opening.column}, found {self.tok.describe()}"
            )

    def comparison(self, field: Field, op_token: Token) -> Comparison:
        op = op_token.text
        kind = field_type(field)
        if op in ORDERED_OPS and kind == FieldType.text:
            raise self.fail(
                f"{op!r} compares numbers or dates, and {format_field(field)!r} is text; use = or in", op_token
            )
        return Comparison(field, op, self.value_for(field, op, op_token))

    def contains_value(self, field: Field, op_token: Token) -> Value:
        kind = field_type(field)
        if kind not in (FieldType.text, FieldType.any):
            raise self.fail(
                f"contains works on text and lists, and {format_field(field)!r} is a {kind.value}", op_token
            )
        value, token, unit = self.literal(op_token)
        self.refuse_unit(field, unit)
        if isinstance(value, Number):
            return (
                Text(token.text if token.kind == "number" else format_number(value.value))
                if kind == FieldType.text
                else value
            )
        if isinstance(value, DateValue):
            return Text(value.value.isoformat())
        if not isinstance(value, Text):
            raise self.fail("contains needs text or a number", token)
        return _lowered(field, value)

    def value_for(self, field: Field, op: str, after: Token) -> Value:
        value, token, unit = self.literal(after)
        self.refuse_unit(field, unit)
        kind = field_type(field)
        name = format_field(field)
        if kind == FieldType.text:
            if isinstance(value, Number | DateValue):
                return _lowered(field, Text(token.text if token.kind != "-" else format_number(_number(value))))
            if isinstance(value, Text):
                return _lowered(field, value)
            raise self.fail(f"{name!r} is text: compare it with text, e.g. {name} = 'some value'", token)
        if kind == FieldType.date:
            if isinstance(value, DateValue | Today):
                return value
            if isinstance(value, Text) and (parsed := _iso_date(value.value)) is not None:
                return DateValue(parsed)
            raise self.fail(f"{name!r} is a date: compare it with a date like 2024-01-31 or today - 30 days", token)
        if kind == FieldType.number:
            if isinstance(value, Number):
                return value
            raise self.fail(f"{name!r} is a number: compare it with a number", token)
        if op in ORDERED_OPS:
            if isinstance(value, Number | DateValue | Today):
                return value
            if isinstance(value, Text) and (parsed := _iso_date(value.value)) is not None:
                return DateValue(parsed)
            raise self.fail(f"{op!r} compares numbers or dates; {token.text!r} is neither", token)
        return value

    def refuse_unit(self, field: Field, unit: bool) -> None:
        if unit and not isinstance(field, Tenure):
            raise self.fail("'days' only follows a number compared with tenure", self.tokens[self.i - 1])


def _number(value: Number | DateValue) -> Decimal:
    assert isinstance(value, Number)
    return value.value


def _lowered(field: Field, value: Text) -> Text:
    # Emails are stored lower-cased (customers.rules.normalise_email), so the literal is too.
    if field == Builtin("email"):
        return Text(value.value.lower())
    return value


def _iso_date(text: str) -> date | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _date(token: Token) -> DateValue:
    parsed = _iso_date(token.text)
    if parsed is None:
        raise InvalidFilter(f"{token.text} is not a real date (use YYYY-MM-DD)", column=token.column)
    return DateValue(parsed)
