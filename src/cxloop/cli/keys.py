"""`cxloop api-key ...`: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from cxloop.access.enums import Role
from cxloop.audit.enums import AuditAction
from cxloop.cli.context import console, database, fail, validation_message

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'zapier import'.")],
    role: Annotated[Role, typer.Option(help="viewer < agent < analyst < admin.")] = Role.viewer,
    replace: Annotated[
        bool, typer.Option("--replace", help="Revoke the active keys of the same name first (for scripts).")
    ] = False,
    user: Annotated[
        str | None, typer.Option(help="Email of the user the key acts for (an agent key sees their teams' cases).")
    ] = None,
) -> None:
    """Create a key and print it. It is stored hashed and cannot be shown again."""
    from cxloop.access import service as access
    from cxloop.audit import service as audit
    from cxloop.audit.schemas import AuditActor

    with database().unit_of_work(write=True) as session:
        user_id = access.user_id_by_email(session, email=user) if user else None
        if user and user_id is None:
            raise fail(f"--user: no active user with email {user}")
        replaced = access.revoke_api_keys_named(session, name=name) if replace else []
        key, plain = access.create_api_key(session, name=name, role=role, user_id=user_id)
        actor = AuditActor.cli()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.api_key_created,
            target_id=key.id,
            changes={"name": name, "role": role, "user_id": user_id},
        )
        for old in replaced:
            audit.record(
                session,
                actor=actor,
                action=AuditAction.api_key_replaced,
                target_id=old,
                changes={"name": name, "replaced_by": key.id},
            )
    if replaced:
        console.print(f"revoked the earlier '{name}' key(s): {', '.join(map(str, replaced))}")
    console.print(f"API key {key.id} ({role.value}) for '{name}' (send it as 'Authorization: Bearer <key>'):")
    print(plain)


@app.command("list")
def list_keys() -> None:
    """List keys (prefixes only)."""
    from cxloop.access import service as access

    with database().unit_of_work() as session:
        keys = access.list_api_keys(session)
    table = Table("id", "name", "prefix", "role", "created", "last used", "revoked")
    for k in keys:
        table.add_row(
            str(k.id),
            k.name,
            k.prefix + "…",
            k.role,
            f"{k.created_at:%Y-%m-%d}",
            f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "-",
            f"{k.revoked_at:%Y-%m-%d}" if k.revoked_at else "-",
        )
    console.print(table)


@app.command("revoke")
def revoke(
    api_key_id: Annotated[int, typer.Argument(help="The key's id (see `cxloop api-key list`).")],
) -> None:
    """Revoke a key at once."""
    from cxloop.access import service as access
    from cxloop.audit import service as audit
    from cxloop.audit.schemas import AuditActor

    with database().unit_of_work(write=True) as session:
        key = access.revoke_api_key(session, api_key_id=api_key_id)
        audit.record(
            session,
            actor=AuditActor.cli(),
            action=AuditAction.api_key_revoked,
            target_id=key.id,
            changes={"name": key.name},
        )
    console.print(f"API key {api_key_id} revoked")


users_app = typer.Typer(help="Create and list users (people with a role).", no_args_is_help=True)


@users_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="The user's email address (unique).")],
    role: Annotated[Role, typer.Option(help="viewer < agent < analyst < admin.")] = Role.viewer,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[
        str | None, typer.Option(help="Their sign-in password for the web app (12 characters or more).")
    ] = None,
    team: Annotated[list[str] | None, typer.Option(help="Key of a team to join (repeat for several).")] = None,
) -> None:
    """Create a user, optionally with a password and teams."""
    from cxloop.access import service as access
    from cxloop.access.schemas import UserCreate
    from cxloop.audit import service as audit
    from cxloop.audit.schemas import AuditActor

    try:
        data = UserCreate(email=email, role=role, name=name, password=password)
    except ValidationError as exc:
        raise fail(validation_message(exc)) from None
    with database().unit_of_work(write=True) as session:
        teams = [access.require_team(session, key=key) for key in team or []]
        user = access.create_user(session, email=data.email, role=role, name=name, password=data.password)
        for found in teams:
            access.add_team_member(session, team_id=found.id, user_id=user.id)
        changes = {"email": data.email, "role": role, "name": name, "teams": [t.key for t in teams]}
        audit.record(
            session, actor=AuditActor.cli(), action=AuditAction.user_created, target_id=user.id, changes=changes
        )
    joined = f", member of {', '.join(t.key for t in teams)}" if teams else ""
    console.print(f"user {user.id} <{user.email}> ({user.role}) created{joined}")


@users_app.command("list")
def list_users() -> None:
    """List users."""
    from cxloop.access import service as access

    with database().unit_of_work() as session:
        users = access.list_users(session)
    table = Table("id", "email", "name", "role", "active")
    for u in users:
        table.add_row(str(u.id), u.email, u.name, u.role, "yes" if u.is_active else "no")
    console.print(table)


@users_app.command("first-admin")
def first_admin(
    url: Annotated[str, typer.Option(help="The web app's address, printed with the credentials.")] = "",
    email: Annotated[str, typer.Option(help="Email of the admin to create when there is none.")] = "admin@example.com",
) -> None:
    """Give the first admin a new random password and print how to sign in (creates the admin when there is none).
    `make run` calls it, so each run prints working credentials; the previous password stops working."""
    import secrets

    from cxloop.access import service as access
    from cxloop.audit import service as audit
    from cxloop.audit.schemas import AuditActor

    password = secrets.token_urlsafe(12)
    with database().unit_of_work(write=True) as session:
        user = access.first_admin(session)
        if user is None:
            user = access.create_user(session, email=email, role=Role.admin, name="Admin", password=password)
            action, changes = AuditAction.user_created, {"email": user.email, "role": Role.admin, "name": user.name}
        else:
            access.set_password(session, user_id=user.id, password=password)
            action, changes = AuditAction.user_updated, {"password": "replaced"}
        audit.record(session, actor=AuditActor.cli(), action=action, target_id=user.id, changes=changes)
        signed_in_as = user.email
    where = f"Web app: {url}\n" if url else ""
    console.print(f"{where}Sign in as {signed_in_as} with password {password}", highlight=False, soft_wrap=True)
