"""Managing widget sites and their prompt rules (/api/v1/widget-sites, admin role)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from cxloop.access.deps import ActorDep, AdminDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.channels.widget import service as sites
from cxloop.channels.widget.inbound import site_cache
from cxloop.channels.widget.models import WidgetSite
from cxloop.channels.widget.schemas import SiteCreate, SitePage, SiteRead, SiteUpdate
from cxloop.core.config import Settings
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["widget"])


def _reads(session: Session, request: Request, found: list[WidgetSite]) -> list[SiteRead]:
    settings: Settings = request.app.state.settings
    return sites.site_reads(session, found, public_url=settings.public_url)


@router.post("/widget-sites", response_model=SiteRead, status_code=status.HTTP_201_CREATED)
def create_site(body: SiteCreate, request: Request, session: SessionDep, _: AdminDep, actor: ActorDep) -> SiteRead:
    """Create a site with a new public key; the answer holds the script tag to embed."""
    site = sites.create_site(session, data=body)
    site_cache(request).forget(site.key)  # an earlier lookup of this key may be cached as unknown
    made = _reads(session, request, [site])[0]
    action = AuditAction.widget_site_created
    audit.record(session, actor=actor, action=action, target_id=site.id, after=sites.audited(made))
    return made


@router.get("/widget-sites", response_model=SitePage)
def list_sites(request: Request, session: SessionDep, _: ViewerDep) -> SitePage:
    found, total = sites.list_sites(session)
    return SitePage(items=_reads(session, request, list(found)), total=total)


@router.get("/widget-sites/{site_id:int}", response_model=SiteRead)
def get_site(site_id: Id, request: Request, session: SessionDep, _: ViewerDep) -> SiteRead:
    return _reads(session, request, [sites.require_site(session, site_id=site_id)])[0]


@router.patch("/widget-sites/{site_id:int}", response_model=SiteRead)
def update_site(
    site_id: Id, body: SiteUpdate, request: Request, session: SessionDep, _: AdminDep, actor: ActorDep
) -> SiteRead:
    """Change the fields sent; `rules`, when sent, replaces every rule. Other server processes see it within 5 s."""
    before = sites.audited(_reads(session, request, [sites.require_site(session, site_id=site_id)])[0])
    site = sites.update_site(session, site_id=site_id, data=body)
    site_cache(request).forget(site.key)
    after = _reads(session, request, [site])[0]
    action = AuditAction.widget_site_updated
    audit.record(session, actor=actor, action=action, target_id=site_id, before=before, after=sites.audited(after))
    return after


@router.delete("/widget-sites/{site_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_site(site_id: Id, request: Request, session: SessionDep, _: AdminDep, actor: ActorDep) -> Response:
    """Delete the site and its rules; its script tag stops working (404). Collected responses stay."""
    site = sites.require_site(session, site_id=site_id)
    key, before = site.key, sites.audited(_reads(session, request, [site])[0])
    sites.delete_site(session, site_id=site_id)
    site_cache(request).forget(key)
    audit.record(session, actor=actor, action=AuditAction.widget_site_deleted, target_id=site_id, before=before)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
