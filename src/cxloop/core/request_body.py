"""Reading a request body with a size cap, for the endpoints that parse their body themselves."""

from __future__ import annotations

from fastapi import HTTPException, Request, status


async def read_capped_body(request: Request, *, limit: int) -> bytes:
    """The body, or 413 as soon as it is known to be larger than `limit` bytes: at once from Content-Length, and
    while streaming for a body sent without one (chunked), so an oversized body is never held in memory whole."""
    too_large = HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the body is larger than {limit} bytes")
    if int(request.headers.get("content-length") or 0) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
