"""Branding: admins set it through /api/v1/branding; the logo is public at /brand/logo for pages and emails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy.orm import Session

from cxloop.access.deps import ActorDep, AdminDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding import current, rules, service
from cxloop.branding.schemas import BrandingRead, BrandingUpdate
from cxloop.core.clock import utcnow
from cxloop.core.request_body import read_capped_body
from cxloop.storage.deps import SessionDep, get_async_database

router = APIRouter(tags=["branding"])
public_router = APIRouter(include_in_schema=False)


def read(brand: service.Brand, request: Request) -> BrandingRead:
    return BrandingRead(
        organisation_name=brand.organisation_name,
        sender_name=brand.sender_name,
        primary_colour=brand.primary_colour,
        logo_url=brand.logo_url(request.app.state.settings.public_url),
        warnings=brand.warnings(),
    )


def _fields(brand: service.Brand) -> dict[str, str | None]:
    """The settable fields, for the audit entry's before and after."""
    return {name: getattr(brand, name) for name in service.FIELDS}


@router.get("/branding", response_model=BrandingRead)
def get_branding(request: Request, session: SessionDep, _: ViewerDep) -> BrandingRead:
    """The organisation's name, sender name, colour and logo, as customers see them (docs/branding.md)."""
    return read(service.current(session), request)


@router.patch("/branding", response_model=BrandingRead)
def update_branding(
    body: BrandingUpdate, request: Request, session: SessionDep, _: AdminDep, actor: ActorDep
) -> BrandingRead:
    """Change the branding; every server process shows it within 30 seconds."""
    before = service.current(session)
    changes = body.model_dump(exclude_unset=True)
    brand = service.update(session, changes, now=utcnow())
    audit.record(
        session, actor=actor, action=AuditAction.branding_changed, before=_fields(before), after=_fields(brand)
    )
    current.forget(request.app)
    return read(brand, request)


@router.put(
    "/branding/logo",
    response_model=BrandingRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in ("image/png", "image/jpeg")},
        }
    },
)
async def put_logo(request: Request, _: AdminDep, actor: ActorDep) -> BrandingRead:
    """Upload the logo: the image itself as the body (PNG, JPEG, GIF or WebP, at most 256 KB; no SVG)."""
    data = await read_capped_body(request, limit=rules.MAX_LOGO_BYTES)
    try:
        rules.logo_type(data)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"logo: {exc}") from None
    now = utcnow()

    def store(session: Session) -> service.Brand:
        brand = service.set_logo(session, data, now=now)
        audit.record(session, actor=actor, action=AuditAction.branding_changed, changes={"logo": brand.logo_version})
        return brand

    brand = await get_async_database(request).write(store)
    current.forget(request.app)
    return read(brand, request)


@router.delete("/branding/logo", response_model=BrandingRead)
def delete_logo(request: Request, session: SessionDep, _: AdminDep, actor: ActorDep) -> BrandingRead:
    """Remove the logo."""
    brand = service.clear_logo(session, now=utcnow())
    audit.record(session, actor=actor, action=AuditAction.branding_changed, changes={"logo": None})
    current.forget(request.app)
    return read(brand, request)


@public_router.get("/brand/logo")
def get_logo(session: SessionDep, v: Annotated[str | None, Query(max_length=16)] = None) -> Response:
    """The logo image. Asked for with its current version it may be cached for a year (the URL changes with it)."""
    found = service.logo(session)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no logo is set")
    data, media_type, version = found
    cache = "public, max-age=31536000, immutable" if v == version else "public, max-age=300"
    return Response(
        data,
        media_type=media_type,
        headers={
            "Cache-Control": cache,
            "ETag": f'"{version}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
