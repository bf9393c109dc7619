"""The fast lane of a responses CSV import: a plainly valid row goes from its cells to its insert row in one pass.

No `ResponseInput` or `ScoredAnswers` per row, and answers are scored once per distinct way of answering: rows that
answer alike share the work, a comment being spliced into the answers' JSON at a marker. Anything unusual (a bad or
over-long cell, an unknown survey or touchpoint, a draft survey, answers the survey refuses, a partial response,
metadata, a submission in the future) is left to the full path (`ResponseReader.parse` and response_intake's checks),
which words every problem. Both lanes give the same row for a good record (tests/collection/test_response_rows.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cxloop.collection.enums import RESPONSE_CHANNELS
from cxloop.collection.records import LOCALE, ResponseReader
from cxloop.collection.rows import ResponseRow
from cxloop.collection.schemas import MAX_TEXT
from cxloop.core.clock import parse_instant
from cxloop.storage.bulk_insert import Codec
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.rules import MAX_TEXT_LENGTH
from cxloop.surveys.service import ResolvedVersion

FUTURE_TOLERANCE = timedelta(minutes=5)
# The canonical string of each channel: rows share one object, which pickles once per import batch.
_CHANNELS = {channel.value: channel.value for channel in RESPONSE_CHANNELS}
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})
# Stands for the row's comment while scoring; private-use characters, so no real answer looks like it.
_MARKER = "\ue000cxloop-comment\ue000"
_MARKER_JSON = '"' + _MARKER + '"'
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_new_row = tuple.__new__  # ResponseRow from a tuple, without the NamedTuple constructor's cost (rows.py)

# A way of answering, scored: (answers JSON, or its two halves around the comment), nps, csat, ces.
_Scored = tuple[tuple[str, ...], int | None, int | None, int | None]
FastRow = tuple[ResponseRow, str | None, int]  # (insert row, customer external id, epoch seconds)


def _whole(text: str) -> int | None | bool:
    """A CSV number cell: the int, None when blank, False when the full path must word a problem."""
    text = text.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return int(text)
    return False


class FastLane:
    """Builds insert rows from the cells of plainly valid records, for one batch (lookups done by the caller)."""

    def __init__(
        self,
        reader: ResponseReader,
        versions: dict[tuple[str, int | None], ResolvedVersion],
        touchpoints: dict[str, tuple[int, int]],
        codec: Codec,
        now: datetime,
        received_at: Any,
    ) -> None:
        self.reader = reader
        self.versions = versions
        self.touchpoints = touchpoints
        self.codec = codec
        self.received_at = received_at
        self.latest = now + FUTURE_TOLERANCE
        self.now = now
        self.now_text = codec.instant(now)  # rows without submitted_at (most API objects) share it
        self.scored: dict[tuple[Any, ...], _Scored | None] = {}
        self.locales: dict[str, str] = {}

    def row(self, cells: Sequence[str], key: str | None) -> FastRow | None:
        """The insert row of a plainly valid record, or None: take the full path. `key` is its idempotency key."""
        reader = self.reader
        if len(cells) < reader.width:
            return None
        survey = cells[reader.survey].strip()
        if not survey or len(survey) > 64:
            return None
        version: int | None = None
        if reader.rare:
            if reader.version is not None:
                number = _whole(cells[reader.version])
                if number is False:
                    return None
                version = number
            if reader.metadata is not None and cells[reader.metadata].strip() not in ("", "{}"):
                return None
            if reader.partial is not None and cells[reader.partial].strip().lower() not in _FALSE:
                return None
        found = self.versions.get((survey, version))
        if found is None or found.status == SurveyStatus.draft:
            return None

        if key is None and reader.key is not None and len(cells[reader.key].strip()) > 200:
            return None  # an over-long key, which `keys` reads as none
        customer: str | None = None
        if reader.customer is not None:
            customer = cells[reader.customer].strip()
            if len(customer) > 200:
                return None
            customer = customer or None
        channel = "api"
        if reader.channel is not None and (text := cells[reader.channel].strip()):
            channel = _CHANNELS.get(text)  # type: ignore[assignment]
            if channel is None:
                return None
        touchpoint_id = stage_id = None
        if reader.touchpoint is not None and (text := cells[reader.touchpoint].strip()):
            pair = self.touchpoints.get(text)
            if pair is None:
                return None
            touchpoint_id, stage_id = pair
        at = self.now
        stored_at = None
        if reader.submitted_at is not None and (text := cells[reader.submitted_at].strip()):
            try:
                at = datetime.fromisoformat(text)
            except ValueError:
                try:
                    at = parse_instant(text)
                except ValueError:
                    return None
            if at.tzinfo is not UTC:
                at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
            else:  # 2024-03-04T05:06:07Z, the usual export: the stored text by slicing (isoformat costs 1 µs a row)
                stored_at = self.codec.utc_text(text)
            if at > self.latest:
                return None
        nps = csat = ces = None
        if reader.nps is not None and (nps := _whole(cells[reader.nps])) is False:
            return None
        if reader.csat is not None and (csat := _whole(cells[reader.csat])) is False:
            return None
        if reader.ces is not None and (ces := _whole(cells[reader.ces])) is False:
            return None
        comment = cells[reader.comment].strip() or None if reader.comment is not None else None
        if comment is not None and (len(comment) > min(MAX_TEXT, MAX_TEXT_LENGTH) or "\x00" in comment):
            return None
        locale = None
        if reader.locale is not None and (locale := cells[reader.locale].strip() or None) is not None:
            known = self.locales.get(locale)  # one object per distinct locale, checked once
            if known is None:
                if not LOCALE.match(locale):
                    return None
                known = self.locales[locale] = locale.replace("_", "-")
            locale = known

        answers = tuple((qid, cells[i]) for i, qid in reader.answers if cells[i] != "")
        memo_key = (found.version_id, answers, nps, csat, ces, comment is not None)
        try:
            scored = self.scored[memo_key]
        except KeyError:
            scored = self.scored[memo_key] = self._score(found, dict(answers), nps, csat, ces, comment is not None)
        if scored is None:
            return None
        parts, nps, csat, ces = scored
        codec = self.codec
        answers_json = parts[0] if comment is None else parts[0] + codec.json(comment) + parts[1]
        row = _new_row(
            ResponseRow,
            (
                found.survey_id,
                found.version_id,
                None,
                channel,
                touchpoint_id,
                stage_id,
                answers_json,
                nps,
                csat,
                ces,
                comment,
                "{}",
                locale,
                codec.flag(False),
                stored_at or (self.now_text if at is self.now else codec.instant(at)),
                self.received_at,
                key,
            ),
        )
        return row, customer, (at - _EPOCH) // _SECOND

    def _score(
        self,
        found: ResolvedVersion,
        answers: dict[str, str],
        nps: int | None,
        csat: int | None,
        ces: int | None,
        commented: bool,
    ) -> _Scored | None:
        """Score one way of answering, the comment standing in as a marker; None: leave such rows to the full path
        (the answers have problems, or they answer an open question, which a comment would be compared with)."""
        rules = found.rules
        if any(qid in answers for qid in rules.text_ids):
            return None
        result = rules.score(
            answers, nps=nps, csat=csat, ces=ces, comment=_MARKER if commented else None, from_text=True
        )
        if result.errors or result.comment != (_MARKER if commented else None):
            return None
        encoded = self.codec.json(result.answers)
        parts = tuple(encoded.split(_MARKER_JSON)) if commented else (encoded,)
        if len(parts) != (2 if commented else 1):
            return None
        return parts, result.nps, result.csat, result.ces


# ---- JSON objects (API batches) through the same lane ------------------------------------------------------------

_JSON_NAMES = (
    "survey",
    "customer_external_id",
    "channel",
    "touchpoint",
    "submitted_at",
    "nps",
    "csat",
    "ces",
    "comment",
    "locale",
)
_JSON_OPTIONAL = frozenset({*_JSON_NAMES, "idempotency_key"})
# The cells of a plain JSON object, read like a CSV record with this header.
JSON_READER = ResponseReader(
    ["survey", "customer_id", "channel", "touchpoint", "submitted_at", "nps", "csat", "ces", "comment", "locale"]
)
_SCORES = frozenset({"nps", "csat", "ces"})
_NOT_NULL = frozenset({"survey", "channel"})  # null is refused for these (absent means the default)
# ISO-8601 date-times both pydantic and the lane read alike (the full path words anything else).
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")


def json_cells(payload: object) -> list[str] | None:
    """A plain response object as cells for `JSON_READER`, or None: validate it in full (pydantic).

    Plain: only these fields; scores are ints (not bools); other values are non-empty strings with no surrounding
    blanks (the lane strips CSV cells, pydantic keeps blanks: such values take the full path to be judged alike);
    `submitted_at` is an ISO date-time with seconds and a zone."""
    if type(payload) is not dict or not payload.keys() <= _JSON_OPTIONAL:
        return None
    cells: list[str] = []
    for name in _JSON_NAMES:
        value = payload.get(name)
        if value is None:
            if name in payload and name in _NOT_NULL:
                return None
            cells.append("")
        elif name in _SCORES:
            if type(value) is not int:
                return None
            cells.append(str(value))
        elif type(value) is not str or not value or value != value.strip():
            return None
        else:
            cells.append(value)
    if cells[4] and not _ISO.match(cells[4]):
        return None
    key = payload.get("idempotency_key")
    if key is not None and (type(key) is not str or not key or len(key) > 200):
        return None
    return cells
