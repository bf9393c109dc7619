"""Flat records (CSV rows) of responses and feedback items, parsed into typed inputs without pydantic.

Building a pydantic model per row costs more than the rest of an import row together, so CSV cells are parsed by
hand here, into the same attributes `ResponseCreate` / `FeedbackCreate` have. Each reader compiles its header once.
Answers stay text (`answer.q1` = '7', 'a|b'): the survey's compiled rules parse them with the question kinds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson

from cxloop.collection.enums import RESPONSE_CHANNELS, Channel, FeedbackKind
from cxloop.collection.schemas import ENRICHMENT_COLUMNS, MAX_TEXT
from cxloop.core.clock import parse_instant
from cxloop.core.errors import FieldError

ANSWER_PREFIX = "answer."
META_PREFIX = "meta."
_CHANNELS = frozenset(RESPONSE_CHANNELS)
_KINDS = frozenset(FeedbackKind)
LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})


class ResponseLike(Protocol):
    """What the response pipeline reads from an item: a `ResponseCreate` or a `ResponseInput`."""

    @property
    def survey(self) -> str: ...
    @property
    def version(self) -> int | None: ...
    @property
    def customer_external_id(self) -> str | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def touchpoint(self) -> str | None: ...
    @property
    def answers(self) -> dict[str, Any]: ...
    @property
    def nps(self) -> int | None: ...
    @property
    def csat(self) -> int | None: ...
    @property
    def ces(self) -> int | None: ...
    @property
    def comment(self) -> str | None: ...
    @property
    def submitted_at(self) -> datetime | None: ...
    @property
    def locale(self) -> str | None: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    @property
    def is_partial(self) -> bool: ...
    @property
    def idempotency_key(self) -> str | None: ...


class FeedbackLike(Protocol):
    """What the feedback pipeline reads from an item: a `FeedbackCreate` or a `FeedbackInput`."""

    @property
    def kind(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def rating(self) -> int | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def author_email(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def customer_external_id(self) -> str | None: ...
    @property
    def touchpoint(self) -> str | None: ...
    @property
    def posted_at(self) -> datetime | None: ...
    @property
    def metadata(self) -> dict[str, Any]: ...


@dataclass(slots=True)
class ResponseInput:
    """A response parsed from a flat record; same attributes as ResponseCreate, answers still text."""

    survey: str
    version: int | None = None
    customer_external_id: str | None = None
    channel: str = Channel.api.value
    touchpoint: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    comment: str | None = None
    submitted_at: datetime | None = None
    locale: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    is_partial: bool = False
    idempotency_key: str | None = None
    # Cells that could not be parsed; the row is rejected, after its answers are checked too (to report it all).
    problems: list[FieldError] = field(default_factory=list)


@dataclass(slots=True)
class FeedbackInput:
    """A feedback item parsed from a flat record; same attributes as FeedbackCreate."""

    kind: str
    source: str
    channel: str
    text: str
    external_id: str | None = None
    rating: int | None = None
    author: str | None = None
    author_email: str | None = None
    url: str | None = None
    customer_external_id: str | None = None
    touchpoint: str | None = None
    posted_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class HeaderError(ValueError):
    """The header row names unknown columns or lacks a required one."""


class _Cells:
    """Reads and checks the cells of one row; collects a FieldError per bad cell."""

    __slots__ = ("cells", "errors")

    def __init__(self, cells: Sequence[str]) -> None:
        self.cells = cells
        self.errors: list[FieldError] = []

    def text(self, index: int | None, name: str, max_length: int = 200) -> str | None:
        if index is None or index >= len(self.cells):
            return None
        value = self.cells[index].strip()
        if not value:
            return None
        if len(value) > max_length:
            self.errors.append(FieldError(name, f"is longer than {max_length:,} characters"))
            return None
        return value

    def integer(self, index: int | None, name: str) -> int | None:
        value = self.text(index, name, 12)
        if value is None:
            return None
        if value.isascii() and value.isdigit():
            return int(value)
        self.errors.append(FieldError(name, "must be a whole number"))
        return None

    def instant(self, index: int | None, name: str) -> datetime | None:
        value = self.text(index, name, 40)
        if value is None:
            return None
        try:
            return parse_instant(value)
        except ValueError:
            self.errors.append(FieldError(name, "must be an ISO-8601 date-time such as 2024-05-01T09:30:00Z"))
            return None

    def choice(self, index: int | None, name: str, allowed: frozenset[str], default: str | None) -> str | None:
        value = self.text(index, name, 32)
        if value is None:
            return default
        if value in allowed:
            return value
        self.errors.append(FieldError(name, f"must be one of: {', '.join(sorted(allowed))}"))
        return default

    def flag(self, index: int | None, name: str) -> bool:
        value = (self.text(index, name, 8) or "").lower()
        if value in _TRUE:
            return True
        if value not in _FALSE:
            self.errors.append(FieldError(name, "must be true or false"))
        return False

    def json_object(self, index: int | None, name: str) -> dict[str, Any]:
        value = self.text(index, name, 32_768)
        if value is None:
            return {}
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        self.errors.append(FieldError(name, "must be a JSON object"))
        return {}

    def prefixed(self, columns: Sequence[tuple[int, str]]) -> dict[str, str]:
        cells = self.cells
        width = len(cells)
        return {key: cells[i] for i, key in columns if i < width and cells[i] != ""}


def _index(
    header: Sequence[str], known: Sequence[str], prefixes: Sequence[str], required: Sequence[str]
) -> dict[str, int]:
    names = [h.strip() for h in header]
    # Columns starting with '_' are ignored: error files add `_line` and `_reason` and can be imported again; so are
    # the enrichment columns of an export.
    unknown = [
        n for n in names if n not in known and n not in ENRICHMENT_COLUMNS and not n.startswith(("_", *prefixes))
    ]
    if unknown:
        raise HeaderError(
            f"unknown column(s): {', '.join(unknown)}; expected {', '.join(known)} "
            f"or {' / '.join(p + '<name>' for p in prefixes)}"
        )
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise HeaderError(f"column(s) named twice: {', '.join(doubled)}")
    missing = [r for r in required if r not in names]
    if missing:
        raise HeaderError(f"missing column(s): {', '.join(missing)}")
    return {name: i for i, name in enumerate(names)}


RESPONSE_COLUMNS = (
    "survey",
    "version",
    "customer_id",
    "channel",
    "touchpoint",
    "submitted_at",
    "nps",
    "csat",
    "ces",
    "comment",
    "locale",
    "response_id",
    "id",
    "is_partial",
    "metadata",
)


class ResponseReader:
    """Parses CSV rows of responses: the columns in RESPONSE_COLUMNS plus `answer.<question id>`.

    `response_id` (or `id`) becomes the idempotency key, so importing the same file again stores nothing twice.
    """

    def __init__(self, header: Sequence[str]) -> None:
        at = _index(header, RESPONSE_COLUMNS, (ANSWER_PREFIX,), ("survey",))
        self.survey = at["survey"]
        self.version = at.get("version")
        self.customer = at.get("customer_id")
        self.channel = at.get("channel")
        self.touchpoint = at.get("touchpoint")
        self.submitted_at = at.get("submitted_at")
        self.nps, self.csat, self.ces = at.get("nps"), at.get("csat"), at.get("ces")
        self.comment = at.get("comment")
        self.locale = at.get("locale")
        self.key = at.get("response_id", at.get("id"))
        self.partial = at.get("is_partial")
        self.metadata = at.get("metadata")
        self.answers = [(i, name[len(ANSWER_PREFIX) :]) for name, i in at.items() if name.startswith(ANSWER_PREFIX)]
        self.width = len(header)
        # Columns seldom present in files; read through the slower generic helpers.
        self.rare = any(i is not None for i in (self.version, self.metadata, self.partial))

    def keys(self, records: Sequence[Sequence[str]]) -> list[str | None]:
        """Each record's idempotency key as `parse` reads it; None when it has none, or no survey (then it is refused
        whatever its key)."""
        if self.key is None:
            return [None] * len(records)
        at, survey = self.key, self.survey
        keys: list[str | None] = []
        for cells in records:
            key = cells[at].strip() if at < len(cells) and survey < len(cells) and cells[survey].strip() else ""
            keys.append(key if key and len(key) <= 200 else None)
        return keys

    def survey_refs(self, records: Sequence[Sequence[str]]) -> set[tuple[str, int | None]]:
        """The (survey key, version) pairs the records name, each survey's current version too."""
        at, version = self.survey, self.version
        surveys = {cells[at].strip() for cells in records if at < len(cells)}
        refs: set[tuple[str, int | None]] = {(survey, None) for survey in surveys if survey}
        if version is not None:
            for cells in records:
                number = cells[version].strip() if version < len(cells) and at < len(cells) else ""
                if number.isascii() and number.isdigit() and len(number) <= 12:
                    refs.add((cells[at].strip(), int(number)))
        return refs

    def touchpoint_keys(self, records: Sequence[Sequence[str]]) -> set[str]:
        """The touchpoint keys the records name."""
        at = self.touchpoint
        if at is None:
            return set()
        return {key for key in (cells[at].strip() for cells in records if at < len(cells)) if key}

    def parse(self, cells: Sequence[str]) -> ResponseInput | list[FieldError]:
        """One row as a ResponseInput (with `problems` for bad cells, field = column name); without a survey key,
        just the problems."""
        # Straight-line code on purpose: this runs once per imported row (see the module docstring).
        if len(cells) < self.width:
            cells = [*cells, *[""] * (self.width - len(cells))]
        problems: list[FieldError] = []
        survey = cells[self.survey].strip()
        if not survey:
            problems.append(FieldError("survey", "is required"))
        elif len(survey) > 64:
            problems.append(FieldError("survey", "is longer than 64 characters"))
        item = ResponseInput(survey=survey, problems=problems)
        if self.answers:
            item.answers = {qid: cells[i] for i, qid in self.answers if cells[i] != ""}
        if self.customer is not None:
            item.customer_external_id = _short(cells[self.customer], "customer_id", 200, problems)
        if self.channel is not None and (channel := cells[self.channel].strip()):
            if channel in _CHANNELS:
                item.channel = channel
            else:
                problems.append(FieldError("channel", f"must be one of: {', '.join(sorted(_CHANNELS))}"))
        if self.submitted_at is not None and (text := cells[self.submitted_at].strip()):
            try:
                item.submitted_at = parse_instant(text)
            except ValueError:
                problems.append(
                    FieldError("submitted_at", "must be an ISO-8601 date-time such as 2024-05-01T09:30:00Z")
                )
        if self.nps is not None and cells[self.nps]:
            item.nps = _whole(cells[self.nps], "nps", problems)
        if self.csat is not None and cells[self.csat]:
            item.csat = _whole(cells[self.csat], "csat", problems)
        if self.ces is not None and cells[self.ces]:
            item.ces = _whole(cells[self.ces], "ces", problems)
        if self.comment is not None and cells[self.comment]:
            item.comment = _short(cells[self.comment], "comment", MAX_TEXT, problems)
        if self.key is not None and cells[self.key]:
            item.idempotency_key = _short(cells[self.key], "response_id", 200, problems)
        if self.touchpoint is not None and cells[self.touchpoint]:
            item.touchpoint = _short(cells[self.touchpoint], "touchpoint", 64, problems)
        if self.locale is not None and (locale := cells[self.locale].strip()):
            if LOCALE.match(locale):
                item.locale = locale
            else:
                problems.append(FieldError("locale", "must be a locale like 'en' or 'pt-BR'"))
        if self.rare:
            row = _Cells(cells)
            item.version = row.integer(self.version, "version")
            item.metadata = row.json_object(self.metadata, "metadata")
            item.is_partial = row.flag(self.partial, "is_partial") if self.partial is not None else False
            problems += row.errors
        return item if survey else problems


def _short(value: str, name: str, max_length: int, problems: list[FieldError]) -> str | None:
    value = value.strip()
    if len(value) > max_length:
        problems.append(FieldError(name, f"is longer than {max_length:,} characters"))
        return None
    return value or None


def _whole(value: str, name: str, problems: list[FieldError]) -> int | None:
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    if value:
        problems.append(FieldError(name, "must be a whole number"))
    return None


FEEDBACK_COLUMNS = (
    "kind",
    "source",
    "external_id",
    "id",
    "channel",
    "text",
    "rating",
    "author",
    "author_email",
    "url",
    "customer_id",
    "touchpoint",
    "posted_at",
    "metadata",
)


class FeedbackReader:
    """Parses CSV rows of feedback items: FEEDBACK_COLUMNS plus `meta.<name>` (text values merged into metadata)."""

    def __init__(self, header: Sequence[str]) -> None:
        at = _index(header, FEEDBACK_COLUMNS, (META_PREFIX,), ("kind", "source", "channel", "text"))
        self.at = at
        self.meta = [(i, name[len(META_PREFIX) :]) for name, i in at.items() if name.startswith(META_PREFIX)]

    def parse(self, cells: Sequence[str]) -> FeedbackInput | list[FieldError]:
        """One row as a FeedbackInput, or the problems with its cells."""
        at, row = self.at, _Cells(cells)
        kind = row.choice(at["kind"], "kind", _KINDS, None)
        source = row.text(at["source"], "source", 64)
        channel = row.choice(at["channel"], "channel", _CHANNELS, None)
        body = row.text(at["text"], "text", 100_000)
        for name, value in (("kind", kind), ("source", source), ("channel", channel), ("text", body)):
            if value is None and not any(e.field == name for e in row.errors):
                row.errors.append(FieldError(name, "is required"))
        rating = row.integer(at.get("rating"), "rating")
        if rating is not None and not 1 <= rating <= 5:
            row.errors.append(FieldError("rating", "must be a whole number from 1 to 5"))
        metadata = row.json_object(at.get("metadata"), "metadata")
        metadata.update(row.prefixed(self.meta))
        item = FeedbackInput(
            kind=kind or "",
            source=source or "",
            channel=channel or "",
            text=body or "",
            external_id=row.text(at.get("external_id", at.get("id")), "external_id"),
            rating=rating,
            author=row.text(at.get("author"), "author", 300),
            author_email=row.text(at.get("author_email"), "author_email", 320),
            url=row.text(at.get("url"), "url", 2000),
            customer_external_id=row.text(at.get("customer_id"), "customer_id"),
            touchpoint=row.text(at.get("touchpoint"), "touchpoint", 64),
            posted_at=row.instant(at.get("posted_at"), "posted_at"),
            metadata=metadata,
        )
        return row.errors or item


def rename_answer_fields(errors: Sequence[FieldError]) -> list[FieldError]:
    """Name answer problems after their CSV column (`answers.q1` -> `answer.q1`)."""
    return [
        FieldError(ANSWER_PREFIX + e.field[len("answers.") :], e.message) if e.field.startswith("answers.") else e
        for e in errors
    ]
