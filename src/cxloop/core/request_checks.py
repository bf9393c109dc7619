"""One check of every request's text before its handler runs (issue 10): no NUL character in a path or query
parameter, a form field, or a JSON body FastAPI decoded, and JSON nested at most core.json_checks.MAX_DEPTH deep.
Bodies a handler reads itself (webhooks, the widget, batch writes) are checked where they are decoded, with
`check_document`. A breach is a 422 naming each field; nothing has been written yet."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from cxloop.core.errors import FieldError, InvalidInput
from cxloop.core.json_checks import DocumentRefused, check_document


def refused(exc: DocumentRefused) -> InvalidInput:
    return InvalidInput("the request holds text that cannot be stored", errors=[FieldError(f, m) for f, m in exc.found])


def check_json(value: Any, *, field: str = "", raw: bytes | None = None) -> Any:
    """`value` (a decoded JSON body) when it keeps the rules, else InvalidInput (422) naming each bad field. Pass
    the body's text as `raw` when there is one: most bodies then need no walk (json_checks.problems)."""
    try:
        return check_document(value, field=field, raw=raw)
    except DocumentRefused as exc:
        raise refused(exc) from None


async def check_request_text(request: Request) -> None:
    """An app-wide dependency: path and query parameters, and the body when FastAPI has already decoded it (a form
    or JSON body parameter); bodies not yet read are left to their handler, so this never reads one uncapped."""
    found: list[tuple[str, str]] = []
    for name, value in request.path_params.items():
        found += _nul(f"path.{name}", value)
    for name, value in request.query_params.multi_items():
        found += _nul(f"query.{name}", value) + _nul(f"query.{name}", name)
    form = getattr(request, "_form", None)  # Starlette keeps the form it parsed for FastAPI's Form() parameters
    if form is not None:
        for name, value in form.multi_items():
            found += _nul(name, value if isinstance(value, str) else "") + _nul(name, name)
    decoded = getattr(request, "_json", None)  # ... and the JSON of a body parameter, with its text
    if decoded is not None:
        raw = getattr(request, "_body", None)
        try:
            check_document(decoded, raw=raw if isinstance(raw, bytes) else None)
        except DocumentRefused as exc:
            found += exc.found
    if found:
        raise refused(DocumentRefused(found))


def _nul(field: str, text: object) -> list[tuple[str, str]]:
    if isinstance(text, str) and "\x00" in text:
        return [(field, "contains a NUL character (\\u0000), which cannot be stored")]
    return []
