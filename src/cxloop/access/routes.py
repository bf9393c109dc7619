from __future__ import annotations

from fastapi import APIRouter, status

from cxloop.access import service as access
from cxloop.access.deps import ActorDep, AdminDep
from cxloop.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, UserCreate, UserRead, UserUpdate
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
def update_user(user_id: Id, body: UserUpdate, session: SessionDep, _: AdminDep, actor: ActorDep) -> UserRead:
    """Change name, role or active flag; deactivating a user revokes their API keys."""
    before = UserRead.model_validate(access.require_user(session, user_id=user_id)).model_dump()
    after = UserRead.model_validate(access.update_user(session, user_id=user_id, data=body))
    action = AuditAction.user_role_changed if after.role != before["role"] else AuditAction.user_updated
    audit.record(session, actor=actor, action=action, target_id=user_id, before=before, after=after.model_dump())
    return after
