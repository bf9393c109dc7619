from __future__ import annotations

from fastapi import APIRouter, Response, status

from cxloop.access.deps import AnalystDep, ViewerDep
from cxloop.core.int_bounds import Count, Id, Limit
from cxloop.customers import service as customers
from cxloop.customers.schemas import AccountBulk, AccountPage, AccountRead, AccountUpdate, AccountUpsert, UpsertResult
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/accounts", tags=["accounts"])


@router.get("", response_model=AccountPage)
def list_accounts(
    session: SessionDep,
    _: ViewerDep,
    q: str | None = None,
    plan: str | None = None,
    sort: str | None = None,
    limit: Limit = 50,
    offset: Count = 0,
) -> AccountPage:
    """List accounts; `q` searches external id and name."""
    page = customers.list_accounts(session, q=q, plan=plan, sort=sort, limit=limit, offset=offset)
    return AccountPage(
        items=[AccountRead.model_validate(a) for a in page.items], total=page.total, limit=limit, offset=offset
    )


@router.post("", response_model=AccountRead, status_code=status.HTTP_201_CREATED)
def create_account(body: AccountUpsert, session: SessionDep, _: AnalystDep) -> AccountRead:
    """Create an account (409 when the external id is taken)."""
    return AccountRead.model_validate(customers.create_account(session, data=body))


@router.post("/bulk", response_model=UpsertResult)
def upsert_accounts(body: AccountBulk, session: SessionDep, _: AnalystDep) -> UpsertResult:
    """Create or update up to 1,000 accounts by external id, all or nothing."""
    return customers.bulk_upsert_accounts(session, items=body.items)


@router.get("/{account_id:int}", response_model=AccountRead)
def get_account(account_id: Id, session: SessionDep, _: ViewerDep) -> AccountRead:
    """One account."""
    return AccountRead.model_validate(customers.require_account(session, account_id=account_id))


@router.patch("/{account_id:int}", response_model=AccountRead)
def update_account(account_id: Id, body: AccountUpdate, session: SessionDep, _: AnalystDep) -> AccountRead:
    """Change the fields sent; attributes are merged and a null attribute is removed."""
    return AccountRead.model_validate(customers.update_account(session, account_id=account_id, data=body))


@router.delete("/{account_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_account(account_id: Id, session: SessionDep, _: AnalystDep) -> Response:
    """Delete an account; its customers stay, unlinked."""
    customers.delete_account(session, account_id=account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
