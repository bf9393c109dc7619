"""Reading a request body with a size cap, for the endpoints that parse their body themselves."""

from __future__ import annotations

import zlib

from fastapi import HTTPException, Request, status


async def read_capped_body(request: Request, *, limit: int, gzip: bool = False) -> bytes:
    """The body, or 413 as soon as it is known to be larger than `limit` bytes: at once from Content-Length, and
    while streaming for a body sent without one (chunked), so an oversized body is never held in memory whole.

    `gzip`: the body is gzip (`Content-Encoding: gzip`); it is decompressed while it is read and `limit` counts the
    decompressed bytes, so a small body cannot expand into gigabytes in memory; a damaged one is a 400."""
    too_large = HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the body is larger than {limit} bytes")
    if int(request.headers.get("content-length") or 0) > limit:
        raise too_large
    inflate = zlib.decompressobj(wbits=31) if gzip else None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        if inflate is not None:
            try:
                chunk = inflate.decompress(chunk, limit + 1 - size)
            except zlib.error as exc:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the gzip body is damaged: {exc}") from exc
            if inflate.unconsumed_tail:  # more output than the limit allows
                raise too_large
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    if inflate is not None and not inflate.eof:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the gzip body is incomplete")
    return b"".join(chunks)
