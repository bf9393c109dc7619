"""Who did a change made through the web app, as the audit log records it: the signed-in user, from where."""

from __future__ import annotations

from fastapi import Request

from cxloop.audit.enums import ActorKind
from cxloop.audit.schemas import AuditActor
from cxloop.channels.hosted.limits import client_address
from cxloop.web.service import SignedIn


def audit_actor(request: Request, user: SignedIn) -> AuditActor:
    """The signed-in user (id, email, role) with the request's client address and user agent."""
    return AuditActor(
        kind=ActorKind.user,
        id=str(user.user_id),
        name=user.email,
        role=user.role.value,
        ip=client_address(request),
        user_agent=(request.headers.get("user-agent") or "")[:300],
    )
