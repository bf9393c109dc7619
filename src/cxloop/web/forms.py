"""The settings and account forms' shared parts: a refusal turned into "field: reason" pairs shown beside each
field, the HTTP status the API would answer, and the "done" notices of a form that worked (Post/Redirect/Get)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from cxloop.core.errors import Conflict, CxloopError, NotFound

Errors = dict[str, str]  # field -> what is wrong with it, in plain words


def validation_errors(
    exc: ValidationError, *, patterns: Mapping[str, str] | None = None, keyed: frozenset[str] = frozenset()
) -> Errors:
    """Each field pydantic refused, with its reason (the first one per field), without pydantic's prefixes;
    `patterns` says in words what a field's regular expression wants; a field in `keyed` (a mapping) is named with
    its key (`channel_weights.email`)."""
    found: Errors = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]] or ["form"]
        name = ".".join(loc[:2]) if loc[0] in keyed else loc[0]
        message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if error["type"] == "string_pattern_mismatch" and patterns and name in patterns:
            message = patterns[name]
        found.setdefault(name, message)
    return found


def refusal_errors(exc: CxloopError, *, field: str) -> Errors:
    """The fields a service refused, or its message under `field` when it names none."""
    found: Errors = {}
    for error in exc.errors:
        found.setdefault(error.field or field, error.message)
    return found or {field: exc.message}


def refusal_status(exc: CxloopError) -> int:
    """404, 409 or 422, as the API answers the same refusal."""
    return 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 422
