"""FastAPI dependencies for who is calling and what they may do. Services never import this module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.errors import InvalidApiKey
from cxloop.access.schemas import Principal
from cxloop.audit import service as audit
from cxloop.audit.enums import ActorKind, AuditAction
from cxloop.audit.sampling import failed_sign_ins
from cxloop.audit.schemas import AuditActor
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
    try:
        check = await database.read(lambda session: access.check_api_key(session, plain_key=plain_key))
    except InvalidApiKey:
        await _record_failed_sign_in(request)
        raise
    key_id = check.principal.api_key_id
    if check.use_due and key_id is not None:
        await database.write(lambda session: access.record_key_use(session, api_key_id=key_id))
    return check.principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _where(request: Request) -> dict[str, str | None]:
    """The client's address (uvicorn's, which honours X-Forwarded-For only from `--forwarded-allow-ips`) and agent."""
    return {"ip": request.client.host if request.client else None, "user_agent": request.headers.get("user-agent")}


async def _record_failed_sign_in(request: Request) -> None:
    """An audit entry for an unknown or revoked key, sampled per address (audit/sampling.py), in its own
    transaction: the request fails, so there is no other to join."""
    where = _where(request)
    attempts = failed_sign_ins.admit(where["ip"] or "unknown")
    if attempts:
        actor = AuditActor(kind=ActorKind.anonymous, **where)
        changes = {"attempts": attempts, "path": request.url.path[:200]}
        await get_async_database(request).write(
            lambda session: audit.record(session, actor=actor, action=AuditAction.auth_failed, changes=changes)
        )


async def get_actor(request: Request, principal: PrincipalDep) -> AuditActor:
    """The caller as an audit actor: their key, its role, and where the request came from."""
    key_id = None if principal.api_key_id is None else str(principal.api_key_id)
    return AuditActor(
        kind=ActorKind.api_key, id=key_id, name=principal.name, role=principal.role.value, **_where(request)
    )


# The caller for `audit.record` (resolves the same principal as the role checks: FastAPI caches it per request).
ActorDep = Annotated[AuditActor, Depends(get_actor)]

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
