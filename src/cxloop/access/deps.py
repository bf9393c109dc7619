"""FastAPI dependencies for who is calling and what they may do. Services never import this module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.schemas import Principal
from cxloop.core.errors import AuthenticationFailed, PermissionDenied
from cxloop.storage.deps import get_async_database


async def get_principal(request: Request) -> Principal:
    """Resolve `Authorization: Bearer <key>`; 401 when absent, unknown or revoked."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send an API key as 'Authorization: Bearer <key>'")
    return await principal_of_key(request, token.strip())


async def principal_of_key(request: Request, plain_key: str) -> Principal:
    """The principal of an API key (InvalidApiKey when unknown or revoked), never blocking the event loop."""
    cached = access.cached_principal(plain_key=plain_key)
    if cached is not None:
        return cached
    # Read in the thread pool; the use recorded on the writer (at most every few minutes per key), in its own
    # transaction, so last_used_at is kept even when the request itself fails.
    database = get_async_database(request)
    check = await database.read(lambda session: access.check_api_key(session, plain_key=plain_key))
    key_id = check.principal.api_key_id
    if check.use_due and key_id is not None:
        await database.write(lambda session: access.record_key_use(session, api_key_id=key_id))
    return check.principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]

# Each dependency made by `require_role`, with its role: the authorisation matrix test reads it from every route.
_ROLE_CHECKS: dict[Callable[..., object], Role] = {}


def require_role(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the call through only for `role` or a higher one (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.role.includes(role):
            raise PermissionDenied(f"this needs the '{role.value}' role; the key has '{principal.role.value}'")
        return principal

    _ROLE_CHECKS[check] = role
    return check


def required_role(dependency: Callable[..., object]) -> Role | None:
    """The role a dependency made by `require_role` asks for; None for any other dependency."""
    return _ROLE_CHECKS.get(dependency)


def route_role(dependant: Dependant | None) -> Role | None:
    """The highest role any dependency of a route asks for; viewer for a bare principal; None when none does (a
    public route, or one that checks its key in the handler). The authorisation matrix test and the OpenAPI's
    401/403 responses both read it."""
    found: list[Role] = []
    stack = list(dependant.dependencies) if dependant is not None else []
    while stack:
        dependency = stack.pop()
        if (role := required_role(dependency.call)) is not None:  # type: ignore[arg-type]
            found.append(role)
        elif dependency.call is get_principal:
            found.append(Role.viewer)
        stack.extend(dependency.dependencies)
    return max(found, key=lambda role: role.rank, default=None)


ViewerDep = Annotated[Principal, Depends(require_role(Role.viewer))]
AgentDep = Annotated[Principal, Depends(require_role(Role.agent))]
AnalystDep = Annotated[Principal, Depends(require_role(Role.analyst))]
AdminDep = Annotated[Principal, Depends(require_role(Role.admin))]
