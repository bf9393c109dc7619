"""The OpenAPI description of a body that is one item or a batch, for endpoints that parse their body themselves
(`openapi_extra`). Pydantic's JSON schemas refer to their own `$defs`, which mean nothing inside the OpenAPI document
(ReDoc refuses to render it), so definitions are inlined."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """The JSON schema with local $refs replaced by their definitions."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.split("/")[-1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def one_or_batch_body(single: type[BaseModel], batch: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a JSON body that is either `single` or `batch`."""
    schemas = [m.model_json_schema() for m in (single, batch)]
    defs = {k: v for s in schemas for k, v in s.get("$defs", {}).items()}
    body = {"oneOf": [_inline(s, defs) for s in schemas]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}
