"""The settings and account forms' shared parts: a form's text fields read as typed, a refusal turned into
"field: reason" pairs shown beside each field, the HTTP status the API would answer, and the "done" notices of a
form that worked (Post/Redirect/Get)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import Form
from pydantic import ValidationError

from cxloop.core.errors import Conflict, CxloopError, NotFound

Errors = dict[str, str]  # field -> what is wrong with it, in plain words
Typed = dict[str, str]  # a form's text fields as typed


def text_form(**fields: tuple[int, str]) -> Callable[..., Typed]:
    """A dependency that reads these text fields of the posted form as typed (`name=(max_length, default)`): one
    `Form(...)` parameter each, so FastAPI reads the body under the route's form limits (core/body_caps.py) and a
    value past its length is refused by name."""

    def read(**posted: str) -> Typed:
        return dict(posted)

    parameters = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[str, Form(max_length=longest)]
        )
        for name, (longest, default) in fields.items()
    ]
    read.__signature__ = inspect.Signature(parameters, return_annotation=Typed)  # type: ignore[attr-defined]
    return read


def validation_errors(
    exc: ValidationError,
    *,
    patterns: Mapping[str, str] | None = None,
    keyed: frozenset[str] = frozenset(),
    whole_path: bool = False,
) -> Errors:
    """Each field pydantic refused, with its reason (the first one per field), without pydantic's prefixes;
    `patterns` says in words what a field's regular expression wants; a field in `keyed` (a mapping) is named with
    its key (`channel_weights.email`); with `whole_path`, every field with its whole path (`rules.2.survey`)."""
    found: Errors = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]] or ["form"]
        name = ".".join(loc) if whole_path else ".".join(loc[:2]) if loc[0] in keyed else loc[0]
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


class FormRefused(Exception):
    """A field the page could not read, before the schema is asked (`more`: other fields it could not read)."""

    def __init__(self, field: str, message: str, *, more: Errors | None = None) -> None:
        super().__init__(message)
        self.errors = {field: message, **(more or {})}

    @classmethod
    def of(cls, errors: Errors) -> FormRefused:
        """Every field in `errors` (at least one)."""
        (field, message), *rest = errors.items()
        return cls(field, message, more=dict(rest))


def form_refusal(exc: Exception, *, field: str, patterns: Mapping[str, str] | None = None) -> tuple[Errors, int]:
    """The fields a form's refusal names (FormRefused, a schema's ValidationError or a service's CxloopError, which
    names `field` when it names none) and the status the API would answer."""
    if isinstance(exc, FormRefused):
        return exc.errors, 422
    if isinstance(exc, ValidationError):
        return validation_errors(exc, patterns=patterns), 422
    if isinstance(exc, CxloopError):
        return refusal_errors(exc, field=field), refusal_status(exc)
    raise exc
