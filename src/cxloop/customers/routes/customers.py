from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from cxloop.access.deps import AdminDep, AgentDep, ViewerDep
from cxloop.core.int_bounds import Count, Id, Limit
from cxloop.customers import service as customers
from cxloop.customers.models import Customer
from cxloop.customers.schemas import (
    CustomerBulk,
    CustomerDetail,
    CustomerPage,
    CustomerUpdate,
    CustomerUpsert,
    UpsertResult,
)
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/customers", tags=["customers"])


def _detail(session: Session, customer: Customer) -> CustomerDetail:
    (read,) = customers.customer_reads(session, [customer])
    return CustomerDetail(
        **read.model_dump(), segments=customers.customer_segment_keys(session, customer_id=customer.id)
    )


@router.get("", response_model=CustomerPage)
def list_customers(
    session: SessionDep,
    _: ViewerDep,
    q: Annotated[str | None, Query(description="search external id, email and name")] = None,
    stage: Annotated[str | None, Query(description="journey stage key")] = None,
    account: Annotated[str | None, Query(description="account external id")] = None,
    segment: Annotated[str | None, Query(description="segment key")] = None,
    filter: Annotated[str | None, Query(description="an ad-hoc segment-language filter (docs/segments.md)")] = None,  # noqa: A002
    sort: Annotated[str | None, Query(description="e.g. -created_at,email")] = None,
    limit: Limit = 50,
    offset: Count = 0,
) -> CustomerPage:
    """List customers, filtered, sorted and paginated."""
    page = customers.list_customers(
        session,
        q=q,
        stage=stage,
        account=account,
        segment=segment,
        filter=filter,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return CustomerPage(
        items=customers.customer_reads(session, page.items), total=page.total, limit=limit, offset=offset
    )


@router.post("", response_model=CustomerDetail, status_code=status.HTTP_201_CREATED)
def create_customer(body: CustomerUpsert, session: SessionDep, _: AgentDep) -> CustomerDetail:
    """Create a customer (409 when the external id is taken)."""
    return _detail(session, customers.create_customer(session, data=body))


@router.post("/bulk", response_model=UpsertResult)
def upsert_customers(body: CustomerBulk, session: SessionDep, _: AgentDep) -> UpsertResult:
    """Create or update up to 1,000 customers by external id, all or nothing."""
    return customers.bulk_upsert_customers(session, items=body.items)


@router.get("/{customer_id:int}", response_model=CustomerDetail)
def get_customer(customer_id: Id, session: SessionDep, _: ViewerDep) -> CustomerDetail:
    """One customer with the keys of their segments."""
    return _detail(session, customers.require_customer(session, customer_id=customer_id))


@router.patch("/{customer_id:int}", response_model=CustomerDetail)
def update_customer(customer_id: Id, body: CustomerUpdate, session: SessionDep, _: AgentDep) -> CustomerDetail:
    """Change the fields sent; attributes are merged and a null attribute is removed."""
    return _detail(session, customers.update_customer(session, customer_id=customer_id, data=body))


@router.delete("/{customer_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_customer(customer_id: Id, session: SessionDep, _: AdminDep) -> Response:
    """Delete a customer and everything recorded about them (admin: it removes their feedback too)."""
    customers.delete_customer(session, customer_id=customer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
