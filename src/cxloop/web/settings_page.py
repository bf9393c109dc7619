"""Settings (admins; analysts: the SLA policies tab): the tabs and their shared page, users (create, change role,
deactivate and reactivate) and API keys (create, shown once; revoke). Teams, SLA policies, channels and the contact
policy have their own modules (settings_teams.py, settings_sla.py, settings_channels.py, settings_policy.py).

Every form is a CSRF-checked POST with its body cap, goes through the same services as the API, records the same
audit entry in the same transaction, and answers a refusal with the page again, the reason beside the field, and
the API's status (409 for the last admin, 422 for a bad field). A form that worked sends the browser back to its
tab (303) with a notice, so a reload does not send it again; a new password or key is shown once, on the answer.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.changes import record_user_change
from cxloop.access.enums import Role
from cxloop.access.errors import UserChangeRefused, UserExists, UserNotFound
from cxloop.access.schemas import UserCreate, UserRead, UserUpdate
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.errors import NotFound
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AdminPage, AnalystPage, require_csrf, web_actor
from cxloop.web.forms import Errors, refusal_errors, refusal_status, validation_errors
from cxloop.web.rendering import render
from cxloop.web.service import SignedIn
from cxloop.web.settings_tables import keys_table, users_table

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
CSRF = [Depends(require_csrf)]
ROLE_OPTIONS = [(role.value, role.value) for role in Role]

# Each tab with the role its forms need, as the API's (SLA policies: analysts, as PUT /api/v1/sla-policies); a user
# sees the tabs their role reaches, and /settings opens the first.
TABS = (
    ("Users", "/settings/users", Role.admin),
    ("Teams", "/settings/teams", Role.admin),
    ("SLA policies", "/settings/sla-policies", Role.analyst),
    ("API keys", "/settings/api-keys", Role.admin),
    ("Channels", "/settings/channels", Role.admin),
    ("Contact policy", "/settings/contact-policy", Role.admin),
)

# What a form that worked says on the page it sends the browser back to (`?done=<key>`).
DONE = {
    "role": "The role was changed.",
    "deactivated": "The user was deactivated: their sessions and API keys no longer work.",
    "reactivated": "The user was reactivated.",
    "revoked": "The API key was revoked: requests with it fail from now on.",
    "team-created": "The team was created.",
    "team-saved": "The team was saved.",
    "member-added": "The member was added.",
    "member-removed": "The member was removed.",
    "policy-saved": "The contact policy was saved; it applies to every invitation decided from now on.",
    "policy-created": "The scoped contact policy was created.",
    "policy-deleted": "The scoped contact policy was deleted; its customers fall back to the next policy.",
    "email-saved": "The email settings were saved; invitations, follow-ups and notifications use them from now on.",
    "email-reset": "The email settings stored here were removed; the environment's apply again.",
    "sms-saved": "The SMS settings were saved; invitations, follow-ups and the SMS webhooks use them from now on.",
    "sms-reset": "The SMS settings stored here were removed; the environment's apply again.",
    "helpdesk-saved": "The helpdesk secrets were saved; the webhooks check signatures with them from now on.",
    "helpdesk-reset": "The helpdesk secrets stored here were removed; the environment's apply again.",
    "bounces-saved": "The bounce webhooks' settings were saved; the webhooks use them from their next request.",
    "bounces-reset": "The bounce webhooks' settings stored here were removed; the environment's apply again.",
    "email-test": "The test email was queued: the worker sends it to your address within seconds (see below).",
    "site-created": "The widget site was created: paste its script tag into the site's pages.",
    "site-saved": "The widget site was saved; every server process uses it within 5 seconds.",
    "site-disabled": "The widget site was disabled: its script tag shows nothing until you enable it again.",
    "site-enabled": "The widget site was enabled again.",
    "site-deleted": "The widget site was deleted: its script tag no longer shows anything.",
    "rules-saved": "The prompt rules were saved; every server process uses them within 5 seconds.",
    "sla-created": "The SLA policy was added; new cases and their clocks follow it from now on.",
    "sla-saved": "The SLA policy was saved; new cases and their clocks follow it from now on.",
    "sla-deleted": "The SLA policy was deleted; its cases fall back to the next policy that matches them.",
}


def settings_page(
    request: Request,
    user: SignedIn,
    template: str,
    *,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A settings tab: its template under the tabs, with the notice of `?done=` when it names one."""
    done = DONE.get(request.query_params.get("done", "")) if status_code == 200 else None
    return render(
        request,
        template,
        user=user,
        title=f"Settings · {title}",
        tabs=[(label, href) for label, href, role in TABS if user.role.includes(role)],
        done=done,
        status_code=status_code,
        **context,
    )


def back_to(path: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


@router.get("/settings")
def settings_home(user: AnalystPage) -> Response:
    """The first tab the user's role reaches."""
    first = next(href for _, href, role in TABS if user.role.includes(role))
    return RedirectResponse(first, status_code=303)


# Users ---------------------------------------------------------------------------------------------------------------


def _users_page(
    request: Request,
    session: Session,
    user: SignedIn,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    row_errors: dict[int, str] | None = None,
    created: tuple[str, str | None] | None = None,
) -> Response:
    users = access.list_users(session)
    teams = access.list_teams(session)
    members = {team.id: set(access.team_member_ids(session, team_id=team.id, active_only=False)) for team in teams}
    return settings_page(
        request,
        user,
        "settings_users.html",
        title="Users",
        status_code=status_code,
        users=users_table(
            users, teams_of={u.id: [t.name for t in teams if u.id in members[t.id]] for u in users}, me=user.user_id
        ),
        emails={str(u.id): u.email for u in users},
        active={str(u.id): u.is_active for u in users},
        roles=list(Role),
        role_options=ROLE_OPTIONS,
        errors=errors or {},
        values=values or {"role": Role.viewer.value},
        row_errors=row_errors or {},
        created=created,
    )


@router.get("/settings/users")
def users_tab(request: Request, session: SessionDep, user: AdminPage) -> Response:
    return _users_page(request, session, user)


@router.post("/settings/users", dependencies=CSRF, **body_cap("POST /settings/users"))
def create_user(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A new user with the password typed, or a generated one shown once on the answer."""
    values = {"email": email, "name": name, "role": role}
    generated = None if password else secrets.token_urlsafe(12)
    try:
        data = UserCreate(email=email, name=name.strip(), role=role, password=password or generated)
        made = access.create_user(session, email=data.email, role=data.role, name=data.name, password=data.password)
    except ValidationError as exc:
        return _users_page(request, session, user, status_code=422, errors=validation_errors(exc), values=values)
    except UserExists as exc:
        errors = {"email": f"{exc.message}; change their role or reactivate them in the table"}
        return _users_page(request, session, user, status_code=409, errors=errors, values=values)
    changes = {
        "email": data.email,
        "name": data.name,
        "role": data.role,
        "password": "generated" if generated else "typed",
    }
    audit.record(
        session, actor=web_actor(request, user), action=AuditAction.user_created, target_id=made.id, changes=changes
    )
    return _users_page(request, session, user, created=(made.email, generated))


def _change_user(
    request: Request, session: Session, user: SignedIn, user_id: int, data: UserUpdate, done: str
) -> Response:
    try:
        before = UserRead.model_validate(access.require_user(session, user_id=user_id))
        changed = access.update_user(session, user_id=user_id, data=data, acting_user_id=user.user_id)
    except (UserChangeRefused, UserNotFound) as exc:
        session.rollback()
        reason = f"{exc.message}. Nothing was changed."
        return _users_page(request, session, user, status_code=refusal_status(exc), row_errors={user_id: reason})
    record_user_change(session, actor=web_actor(request, user), before=before, after=UserRead.model_validate(changed))
    return back_to("/settings/users", done)


@router.post(
    "/settings/users/{user_id:int}/role", dependencies=CSRF, **body_cap("POST /settings/users/{user_id:int}/role")
)
def change_role(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    user_id: Id,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if role not in Role.__members__:
        reason = f"'{role[:20]}' is not a role; choose viewer, agent, analyst or admin. Nothing was changed."
        return _users_page(request, session, user, status_code=422, row_errors={user_id: reason})
    return _change_user(request, session, user, user_id, UserUpdate(role=Role(role)), "role")


@router.post(
    "/settings/users/{user_id:int}/active", dependencies=CSRF, **body_cap("POST /settings/users/{user_id:int}/active")
)
def change_active(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    user_id: Id,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Deactivate (their sessions end and their API keys are revoked) or reactivate a user."""
    if active not in ("yes", "no"):
        reason = "Say yes (reactivate) or no (deactivate). Nothing was changed."
        return _users_page(request, session, user, status_code=422, row_errors={user_id: reason})
    is_active = active == "yes"
    done = "reactivated" if is_active else "deactivated"
    return _change_user(request, session, user, user_id, UserUpdate(is_active=is_active), done)


# API keys ------------------------------------------------------------------------------------------------------------


def _keys_page(
    request: Request,
    session: Session,
    user: SignedIn,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    new_key: str | None = None,
) -> Response:
    keys = access.list_api_keys(session)
    return settings_page(
        request,
        user,
        "settings_api_keys.html",
        title="API keys",
        status_code=status_code,
        keys=keys_table(key for key in keys if key.revoked_at is None),
        revoked=[key for key in keys if key.revoked_at is not None][-20:],
        role_options=ROLE_OPTIONS,
        errors=errors or {},
        values=values or {"role": Role.viewer.value},
        new_key=new_key,
    )


@router.get("/settings/api-keys")
def api_keys_tab(request: Request, session: SessionDep, user: AdminPage) -> Response:
    return _keys_page(request, session, user)


@router.post("/settings/api-keys", dependencies=CSRF, **body_cap("POST /settings/api-keys"))
def create_api_key(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "viewer",
) -> Response:
    """A new API key, shown once on the page that answers this form."""
    values = {"name": name, "role": role}
    errors: Errors = {}
    if not name.strip():
        errors["name"] = "Name the key: what is it for?"
    if role not in Role.__members__:
        errors["role"] = f"'{role[:20]}' is not one of viewer, agent, analyst, admin"
    if errors:
        return _keys_page(request, session, user, status_code=422, errors=errors, values=values)
    key, plain = access.create_api_key(session, name=name.strip(), role=Role(role), user_id=None)
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.api_key_created,
        target_id=key.id,
        changes={"name": key.name, "role": key.role, "prefix": key.prefix},
    )
    return _keys_page(request, session, user, new_key=plain)


@router.post(
    "/settings/api-keys/{api_key_id:int}/revoke",
    dependencies=CSRF,
    **body_cap("POST /settings/api-keys/{api_key_id:int}/revoke"),
)
def revoke_api_key(request: Request, session: SessionDep, user: AdminPage, api_key_id: Id) -> Response:
    try:
        key = access.revoke_api_key(session, api_key_id=api_key_id)
    except NotFound as exc:
        errors = refusal_errors(exc, field="revoke")
        return _keys_page(request, session, user, status_code=404, errors=errors)
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.api_key_revoked,
        target_id=key.id,
        changes={"name": key.name},
    )
    return back_to("/settings/api-keys", "revoked")
