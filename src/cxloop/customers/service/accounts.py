"""B2B accounts: bulk upsert by external id, CRUD and listing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.core.clock import utcnow
from cxloop.customers import membership
from cxloop.customers.errors import AccountConflict, AccountNotFound
from cxloop.customers.models import Account, Customer
from cxloop.customers.schemas import AccountUpdate, AccountUpsert, UpsertResult
from cxloop.storage.pagination import Page, order_clause, paginate

_FIELDS = ("name", "plan", "arr", "renewal_date", "owner")
SORTS: dict[str, ColumnElement[Any]] = {
    "id": Account.id.expression,
    "external_id": Account.external_id.expression,
    "name": Account.name.expression,
    "plan": Account.plan.expression,
    "arr": Account.arr.expression,
    "renewal_date": Account.renewal_date.expression,
    "created_at": Account.created_at.expression,
}


def get_account(session: Session, *, account_id: int | None = None, external_id: str | None = None) -> Account | None:
    if account_id is not None:
        return session.get(Account, account_id)
    return session.scalar(select(Account).where(Account.external_id == external_id))


def require_account(session: Session, *, account_id: int | None = None, external_id: str | None = None) -> Account:
    """The account, or AccountNotFound."""
    account = get_account(session, account_id=account_id, external_id=external_id)
    if account is None:
        what = f"id {account_id}" if account_id is not None else f"external id '{external_id}'"
        raise AccountNotFound(f"no account with {what}")
    return account


def upsert_accounts(session: Session, *, items: Sequence[AccountUpsert]) -> list[int]:
    """Create or update accounts by external id; ids in input order. Fields not sent are left unchanged."""
    return bulk_upsert_accounts(session, items=items).ids


def bulk_upsert_accounts(session: Session, *, items: Sequence[AccountUpsert]) -> UpsertResult:
    """Like upsert_accounts, also counting created and updated rows. Accounts are few, so this is row-by-row ORM."""
    if not items:
        return UpsertResult(ids=[], created=0, updated=0)
    keys = sorted({item.external_id for item in items})
    found = {a.external_id: a for a in session.scalars(select(Account).where(Account.external_id.in_(keys)))}
    now = utcnow()
    created: set[str] = set()
    changed: set[int] = set()
    for item in items:
        account = found.get(item.external_id)
        if account is None:
            account = Account(external_id=item.external_id, name=item.name or item.external_id, attributes={})
            account.created_at = now
            session.add(account)
            found[item.external_id] = account
            created.add(item.external_id)
        _apply(account, item.model_dump(include=item.model_fields_set - {"external_id"}))
        account.updated_at = now
    session.flush()
    for key, account in found.items():
        if key not in created:
            changed.add(account.id)
    _refresh_contacts(session, account_ids=changed)
    return UpsertResult(ids=[found[item.external_id].id for item in items], created=len(created), updated=len(changed))


def _apply(account: Account, fields: dict[str, Any]) -> None:
    for name in _FIELDS:
        if name in fields:
            value = fields[name]
            if name == "name" and value is None:
                continue  # an account always has a name
            setattr(account, name, value)
    if "attributes" in fields:
        merged = {**(account.attributes or {}), **fields["attributes"]}
        account.attributes = {k: v for k, v in merged.items() if v is not None}


def _refresh_contacts(session: Session, *, account_ids: set[int]) -> None:
    """Segments that read account fields are recomputed for the accounts' customers."""
    if not account_ids:
        return
    customer_ids = set(session.scalars(select(Customer.id).where(Customer.account_id.in_(sorted(account_ids)))))
    membership.refresh_customers(session, customer_ids=customer_ids, reason="accounts")


def create_account(session: Session, *, data: AccountUpsert) -> Account:
    """A new account; AccountConflict when the external id is taken."""
    if get_account(session, external_id=data.external_id) is not None:
        raise AccountConflict(f"an account with external id '{data.external_id}' exists already")
    (account_id,) = upsert_accounts(session, items=[data])
    return require_account(session, account_id=account_id)


def update_account(session: Session, *, account_id: int, data: AccountUpdate) -> Account:
    """Change the fields sent; attributes are merged (null removes a key)."""
    account = require_account(session, account_id=account_id)
    sent = data.model_fields_set
    if "external_id" in sent and data.external_id and data.external_id != account.external_id:
        if get_account(session, external_id=data.external_id) is not None:
            raise AccountConflict(f"an account with external id '{data.external_id}' exists already")
        account.external_id = data.external_id
    _apply(account, data.model_dump(include=sent - {"external_id"}))
    account.updated_at = utcnow()
    session.flush()
    _refresh_contacts(session, account_ids={account.id})
    return account


def delete_account(session: Session, *, account_id: int) -> None:
    """Delete an account: its customers stay (unlinked), its account-level outcomes go."""
    account = require_account(session, account_id=account_id)
    contacts = set(session.scalars(select(Customer.id).where(Customer.account_id == account.id)))
    session.delete(account)
    session.flush()
    # ON DELETE SET NULL ran in the database; loaded customers must not keep the old link.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in contacts:
            session.expire(obj)
    membership.refresh_customers(session, customer_ids=contacts, reason="accounts")


def list_accounts(
    session: Session,
    *,
    q: str | None = None,
    plan: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Account]:
    """One page of accounts; `q` searches external id and name."""
    query = select(Account)
    if q:
        needle = q.strip().lower()
        query = query.where(
            or_(
                func.lower(Account.external_id).contains(needle, autoescape=True),
                func.lower(Account.name).contains(needle, autoescape=True),
            )
        )
    if plan:
        query = query.where(Account.plan == plan)
    return paginate(session, query.order_by(*order_clause(sort, SORTS, "id")), limit=limit, offset=offset)
