"""The whole posted form as text fields, for pages whose forms have fields named by position (the survey builder's
`q3-text-de`), which no fixed list of `Form(...)` parameters can declare.

A route using it also declares one `Form(...)` parameter, so FastAPI reads the body under the route's form limits
(core/body_caps.py) before any dependency does; this then gets Starlette's cached form.
"""

from __future__ import annotations

from fastapi import Request


async def posted_fields(request: Request) -> dict[str, str]:
    """Field name -> value of every text field of the posted form (the last value of a repeated name)."""
    form = await request.form()
    return {name: value for name, value in form.multi_items() if isinstance(value, str)}
