"""The integers the API accepts. Python's int has no bounds, the databases' BIGINT (and orjson) stop at 2^63 - 1: an
unbounded `int` in a path, query or body lets `?offset=2**70` reach the driver and end in a 500. Every integer the API
reads is one of these types, so it is refused with a 422 naming the field, and the OpenAPI shows its bounds
(tests/api/test_openapi.py fails on an integer input without them).

Path and query parameters arrive as text, so `Id`, `Count` and `Limit` parse "42". A JSON body's integers use the
`Json*` types, which refuse what the document does not allow there (`true`, `"42"`, `4.5`), as StrictInt does."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
INT32_MAX = 2**31 - 1  # survey versions, stage positions and caps live in INTEGER columns
MAX_LIMIT = 500  # the largest page a list endpoint returns

Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
"""A row id in a path or a query."""
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""An offset in a query: 0 or more."""
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
"""The size of one page of a list endpoint."""
Version = Annotated[int, Field(ge=1, le=INT32_MAX)]
"""A survey version in a path or a query."""

JsonInt = Annotated[int, Strict(), Field(ge=INT64_MIN, le=INT64_MAX)]
"""Any integer a column can hold, in a JSON body."""
JsonId = Annotated[int, Strict(), Field(ge=1, le=INT64_MAX)]
"""A row id in a JSON body."""
JsonVersion = Annotated[int, Strict(), Field(ge=1, le=INT32_MAX)]
"""A survey version, or a cap of 1 or more, in a JSON body."""
JsonPosition = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX)]
"""A 0-based position in a JSON body."""
