"""Who is signed in to the web app, what their role lets them see, and the CSRF check of every POST.

A page declares its role with `PageRole(Role.x)`: the same Role ladder the API checks (`Role.includes`), so a page
shows exactly what the role's API key could read. Without a session a page sends the browser to /login (HTMX
requests get `HX-Redirect`); below the role it answers 403 with a page that says which role it needs.

CSRF: every form and HTMX POST of a session sends the session's token (form field `csrf_token` or header
`X-CSRF-Token`); the sign-in form, before there is a session, sends the token of a short-lived cookie (double submit).
A POST whose Origin header names another host is refused whatever it sends.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.audit.enums import ActorKind
from cxloop.audit.schemas import AuditActor
from cxloop.channels.hosted.limits import client_address
from cxloop.storage.deps import SessionDep
from cxloop.web import service as web_sessions
from cxloop.web.service import SignedIn

SESSION_COOKIE = "cxloop_session"
SIGN_IN_CSRF_COOKIE = "cxloop_sign_in_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """No valid session: the page answers with the sign-in page's address and where to come back to."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageForbidden(Exception):
    """Signed in, but the page needs a higher role."""

    def __init__(self, user: SignedIn, role: Role) -> None:
        super().__init__(role.value)
        self.user = user
        self.role = role


class CsrfRefused(Exception):
    """A POST without the right CSRF token, or from another origin."""


def _next_url(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def sign_in_url(next_url: str) -> str:
    return "/login" if next_url in ("", "/") else f"/login?next={quote(next_url, safe='')}"


def current_user(request: Request, session: Session) -> SignedIn | None:
    """The signed-in user of the request's session cookie, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    return web_sessions.session_user(session, token=token) if token else None


def signed_in(request: Request, session: SessionDep) -> SignedIn:
    user = current_user(request, session)
    if user is None:
        raise SignInRequired(_next_url(request))
    request.state.web_user = user
    return user


# Each page dependency made by `page_role`, with its role: tests/web/test_roles.py reads it from every web route.
PAGE_ROLES: dict[Callable[..., object], Role] = {}


def page_role(role: Role) -> Callable[[SignedIn], SignedIn]:
    """A dependency that lets a signed-in user with `role` or a higher one through (PageForbidden otherwise)."""

    def check(user: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
        if not user.role.includes(role):
            raise PageForbidden(user, role)
        return user

    PAGE_ROLES[check] = role
    return check


ViewerPage = Annotated[SignedIn, Depends(page_role(Role.viewer))]
AgentPage = Annotated[SignedIn, Depends(page_role(Role.agent))]
AnalystPage = Annotated[SignedIn, Depends(page_role(Role.analyst))]
AdminPage = Annotated[SignedIn, Depends(page_role(Role.admin))]


def check_origin(request: Request) -> None:
    """A browser POST from another site carries its Origin: refuse it (an absent Origin is checked by token only)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise CsrfRefused("the request came from another site")


async def posted_token(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()  # Starlette keeps it: the handler reads the same form
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def tokens_match(sent: str, expected: str) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


async def require_csrf(request: Request, user: Annotated[SignedIn, Depends(signed_in)]) -> None:
    """For POST routes of a signed-in session: the session's CSRF token must come back."""
    check_origin(request)
    if not tokens_match(await posted_token(request), user.csrf_token):
        raise CsrfRefused("the form's security token is missing or out of date: reload the page and try again")


def cookie_is_secure(request: Request) -> bool:
    """Secure cookies (sent over HTTPS only) everywhere but plain HTTP to this machine itself (`make run`, tests):
    browsers do not send a Secure cookie over plain HTTP to another host, so serve the app behind TLS."""
    if request.url.scheme == "https":
        return True
    host = request.url.hostname or ""
    if host in ("localhost", "testserver"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def where(request: Request) -> dict[str, str | None]:
    """The client address and user agent of a request, for the audit log."""
    return {"ip": client_address(request), "user_agent": (request.headers.get("user-agent") or "")[:300]}


def web_actor(request: Request, user: SignedIn) -> AuditActor:
    """A signed-in user as the actor of an audit entry (kind `user`, their id, email and role)."""
    return AuditActor(
        kind=ActorKind.user, id=str(user.user_id), name=user.email, role=user.role.value, **where(request)
    )
