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
from cxloop.channels.widget.schemas import PromptRuleRead, SiteCreate, SitePage, SiteRead, SiteUpdate
from cxloop.core.config import Settings
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["widget"])


def _embed(request: Request, site: WidgetSite) -> str:
    settings: Settings = request.app.state.settings
    public_url = settings.public_url.rstrip("/")
    return f'<script src="{public_url}/widget.js" data-site-key="{site.key}" async></script>'


def _reads(session: Session, request: Request, found: list[WidgetSite]) -> list[SiteRead]:
    rules = sites.rules_of(session, site_ids=[site.id for site in found])
    feedback_ids = [site.feedback_survey_id for site in found if site.feedback_survey_id]
    feedback_keys = sites.survey_keys(session, survey_ids=feedback_ids)
    return [
        SiteRead(
            id=site.id,
            key=site.key,
            name=site.name,
            channel=site.channel,
            allowed_origins=list(site.allowed_origins),
            feedback_survey=feedback_keys.get(site.feedback_survey_id) if site.feedback_survey_id else None,
            anonymous_cap_days=site.anonymous_cap_days,
            anonymous_sampling_rate=site.anonymous_sampling_rate,
            rules=[
                PromptRuleRead(
                    id=rule.id,
                    survey=key,
                    url_match=rule.url_match,
                    event=rule.event,
                    seconds_on_page=rule.seconds_on_page,
                    sampling_rate=rule.sampling_rate,
                )
                for rule, key in rules[site.id]
            ],
            embed=_embed(request, site),
            created_at=site.created_at,
            updated_at=site.updated_at,
        )
        for site in found
    ]


def _audited(site: SiteRead) -> dict[str, object]:
    """What the audit log keeps of a site (the embed tag only repeats its public key)."""
    return site.model_dump(exclude={"embed", "created_at", "updated_at"})


@router.post("/widget-sites", response_model=SiteRead, status_code=status.HTTP_201_CREATED)
def create_site(body: SiteCreate, request: Request, session: SessionDep, _: AdminDep, actor: ActorDep) -> SiteRead:
    """Create a site with a new public key; the answer holds the script tag to embed."""
    site = sites.create_site(session, data=body)
    site_cache(request).forget(site.key)  # an earlier lookup of this key may be cached as unknown
    made = _reads(session, request, [site])[0]
    audit.record(session, actor=actor, action=AuditAction.widget_site_created, target_id=site.id, after=_audited(made))
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
    before = _audited(_reads(session, request, [sites.require_site(session, site_id=site_id)])[0])
    site = sites.update_site(session, site_id=site_id, data=body)
    site_cache(request).forget(site.key)
    after = _reads(session, request, [site])[0]
    action = AuditAction.widget_site_updated
    audit.record(session, actor=actor, action=action, target_id=site_id, before=before, after=_audited(after))
    return after


@router.delete("/widget-sites/{site_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_site(site_id: Id, request: Request, session: SessionDep, _: AdminDep, actor: ActorDep) -> Response:
    """Delete the site and its rules; its script tag stops working (404). Collected responses stay."""
    site = sites.require_site(session, site_id=site_id)
    key, before = site.key, _audited(_reads(session, request, [site])[0])
    sites.delete_site(session, site_id=site_id)
    site_cache(request).forget(key)
    audit.record(session, actor=actor, action=AuditAction.widget_site_deleted, target_id=site_id, before=before)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
