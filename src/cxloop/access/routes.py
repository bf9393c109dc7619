from __future__ import annotations

from fastapi import APIRouter, status

from cxloop.access import service as access
from cxloop.access.changes import record_team_change, record_user_change
from cxloop.access.deps import ActorDep, AdminDep, ViewerDep
from cxloop.access.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    TeamCreate,
    TeamRead,
    TeamUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["access"])


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(session: SessionDep, _: AdminDep) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in access.list_api_keys(session)]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyCreate, session: SessionDep, principal: AdminDep, actor: ActorDep) -> ApiKeyCreated:
    """Create a key; the `key` field in the answer is shown only this once."""
    key, plain = access.create_api_key(session, name=body.name, role=body.role, user_id=principal.user_id)
    audit.record(session, actor=actor, action=AuditAction.api_key_created, target_id=key.id, changes=body.model_dump())
    return ApiKeyCreated.model_validate({**ApiKeyRead.model_validate(key).model_dump(), "key": plain})


@router.delete("/api-keys/{api_key_id:int}", response_model=ApiKeyRead)
def revoke_api_key(api_key_id: Id, session: SessionDep, _: AdminDep, actor: ActorDep) -> ApiKeyRead:
    key = ApiKeyRead.model_validate(access.revoke_api_key(session, api_key_id=api_key_id))
    audit.record(session, actor=actor, action=AuditAction.api_key_revoked, target_id=key.id, changes={"name": key.name})
    return key


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep, _: AdminDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in access.list_users(session)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, _: AdminDep, actor: ActorDep) -> UserRead:
    """Create a user with a role (password optional: the web app's sign-in comes later)."""
    user = access.create_user(session, email=body.email, role=body.role, name=body.name, password=body.password)
    changes = body.model_dump()  # the password is redacted by the audit log
    audit.record(session, actor=actor, action=AuditAction.user_created, target_id=user.id, changes=changes)
    return UserRead.model_validate(user)


@router.patch("/users/{user_id:int}", response_model=UserRead)
def update_user(user_id: Id, body: UserUpdate, session: SessionDep, principal: AdminDep, actor: ActorDep) -> UserRead:
    """Change name, role or active flag; deactivating a user revokes their API keys. 409 for deactivating the key's
    own user or taking the last active admin's role or account away."""
    before = UserRead.model_validate(access.require_user(session, user_id=user_id))
    changed = access.update_user(session, user_id=user_id, data=body, acting_user_id=principal.user_id)
    after = UserRead.model_validate(changed)
    record_user_change(session, actor=actor, before=before, after=after)
    return after


@router.get("/teams", response_model=list[TeamRead])
def list_teams(session: SessionDep, _: ViewerDep) -> list[TeamRead]:
    return access.team_reads(session, access.list_teams(session))


@router.post("/teams", response_model=TeamRead, status_code=status.HTTP_201_CREATED)
def create_team(body: TeamCreate, session: SessionDep, _: AdminDep, actor: ActorDep) -> TeamRead:
    """Create a team with its lead, members, working hours in a time zone, and holidays."""
    made = access.team_reads(session, [access.create_team(session, data=body)])[0]
    audit.record(session, actor=actor, action=AuditAction.team_created, target_id=made.id, after=made.model_dump())
    return made


@router.get("/teams/{team_id:int}", response_model=TeamRead)
def get_team(team_id: Id, session: SessionDep, _: ViewerDep) -> TeamRead:
    return access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]


@router.patch("/teams/{team_id:int}", response_model=TeamRead)
def update_team(team_id: Id, body: TeamUpdate, session: SessionDep, _: AdminDep, actor: ActorDep) -> TeamRead:
    """Change the fields sent (`business_hours: null`: around the clock)."""
    before = access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]
    after = access.team_reads(session, [access.update_team(session, team_id=team_id, data=body)])[0]
    record_team_change(session, actor=actor, before=before, after=after)
    return after


@router.put("/teams/{team_id:int}/members/{user_id:int}", response_model=TeamRead)
def add_team_member(team_id: Id, user_id: Id, session: SessionDep, _: AdminDep, actor: ActorDep) -> TeamRead:
    before = access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]
    access.add_team_member(session, team_id=team_id, user_id=user_id)
    after = access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]
    record_team_change(session, actor=actor, before=before, after=after)
    return after


@router.delete("/teams/{team_id:int}/members/{user_id:int}", response_model=TeamRead)
def remove_team_member(team_id: Id, user_id: Id, session: SessionDep, _: AdminDep, actor: ActorDep) -> TeamRead:
    before = access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]
    access.remove_team_member(session, team_id=team_id, user_id=user_id)
    after = access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]
    record_team_change(session, actor=actor, before=before, after=after)
    return after
