"""The integers the API accepts. Python's int has no bounds, the databases' BIGINT (and orjson) stop at 2^63 - 1: an
unbounded `int` in a path, query or body lets `?offset=2**70` reach the driver and end in a 500. Every integer the API
reads is one of these types, so it is refused with a 422 naming the field, and the OpenAPI shows its bounds
(tests/api/test_openapi.py fails on an integer input without them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

INT64_MAX = 2**63 - 1
MAX_LIMIT = 500  # the largest page a list endpoint returns

DbInt = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""Any integer a column can hold."""
StrictDbInt = Annotated[int, Strict(), Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""Any integer a column can hold, given as a JSON number (not a numeric string)."""
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
"""A row id: in a path, a filter or a body."""
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""A count, an offset or a position: 0 or more."""
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
"""The size of one page of a list endpoint."""
