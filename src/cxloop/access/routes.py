from __future__ import annotations

from fastapi import APIRouter, status

from cxloop.access import service as access
from cxloop.access.deps import AdminDep
from cxloop.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/api-keys", tags=["access"])


@router.get("", response_model=list[ApiKeyRead])
def list_api_keys(session: SessionDep, _: AdminDep) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in access.list_api_keys(session)]


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyCreate, session: SessionDep, principal: AdminDep) -> ApiKeyCreated:
    """Create a key; the `key` field in the answer is shown only this once."""
    key, plain = access.create_api_key(session, name=body.name, role=body.role, user_id=principal.user_id)
    return ApiKeyCreated.model_validate({**ApiKeyRead.model_validate(key).model_dump(), "key": plain})


@router.delete("/{api_key_id}", response_model=ApiKeyRead)
def revoke_api_key(api_key_id: int, session: SessionDep, _: AdminDep) -> ApiKeyRead:
    return ApiKeyRead.model_validate(access.revoke_api_key(session, api_key_id=api_key_id))
