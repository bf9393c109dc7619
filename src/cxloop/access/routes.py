from __future__ import annotations

from fastapi import APIRouter, status

from cxloop.access import service as access
from cxloop.access.deps import AdminDep, ViewerDep
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
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["access"])


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(session: SessionDep, _: AdminDep) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in access.list_api_keys(session)]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyCreate, session: SessionDep, principal: AdminDep) -> ApiKeyCreated:
    """Create a key; the `key` field in the answer is shown only this once."""
    key, plain = access.create_api_key(session, name=body.name, role=body.role, user_id=principal.user_id)
    return ApiKeyCreated.model_validate({**ApiKeyRead.model_validate(key).model_dump(), "key": plain})


@router.delete("/api-keys/{api_key_id}", response_model=ApiKeyRead)
def revoke_api_key(api_key_id: int, session: SessionDep, _: AdminDep) -> ApiKeyRead:
    return ApiKeyRead.model_validate(access.revoke_api_key(session, api_key_id=api_key_id))


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep, _: AdminDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in access.list_users(session)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, _: AdminDep) -> UserRead:
    """Create a user with a role (password optional: the web app's sign-in comes later)."""
    user = access.create_user(session, email=body.email, role=body.role, name=body.name, password=body.password)
    return UserRead.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: int, body: UserUpdate, session: SessionDep, _: AdminDep) -> UserRead:
    """Change name, role or active flag; deactivating a user revokes their API keys."""
    return UserRead.model_validate(access.update_user(session, user_id=user_id, data=body))


@router.get("/teams", response_model=list[TeamRead])
def list_teams(session: SessionDep, _: ViewerDep) -> list[TeamRead]:
    return access.team_reads(session, access.list_teams(session))


@router.post("/teams", response_model=TeamRead, status_code=status.HTTP_201_CREATED)
def create_team(body: TeamCreate, session: SessionDep, _: AdminDep) -> TeamRead:
    """Create a team with its lead, members, working hours in a time zone, and holidays."""
    return access.team_reads(session, [access.create_team(session, data=body)])[0]


@router.get("/teams/{team_id}", response_model=TeamRead)
def get_team(team_id: int, session: SessionDep, _: ViewerDep) -> TeamRead:
    return access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]


@router.patch("/teams/{team_id}", response_model=TeamRead)
def update_team(team_id: int, body: TeamUpdate, session: SessionDep, _: AdminDep) -> TeamRead:
    """Change the fields sent (`business_hours: null`: around the clock)."""
    return access.team_reads(session, [access.update_team(session, team_id=team_id, data=body)])[0]


@router.put("/teams/{team_id}/members/{user_id}", response_model=TeamRead)
def add_team_member(team_id: int, user_id: int, session: SessionDep, _: AdminDep) -> TeamRead:
    access.add_team_member(session, team_id=team_id, user_id=user_id)
    return access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]


@router.delete("/teams/{team_id}/members/{user_id}", response_model=TeamRead)
def remove_team_member(team_id: int, user_id: int, session: SessionDep, _: AdminDep) -> TeamRead:
    access.remove_team_member(session, team_id=team_id, user_id=user_id)
    return access.team_reads(session, [access.require_team(session, team_id=team_id)])[0]
