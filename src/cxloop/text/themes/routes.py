"""/api/v1/themes (docs/themes.md): viewers read the taxonomy, analysts edit it and run discovery; every edit is in
the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cxloop.access.deps import ActorDep, AnalystDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.int_bounds import Id, Limit
from cxloop.storage.deps import SessionDep
from cxloop.text.themes import audit_trail, runs
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import (
    DiscoveryRequest,
    MergeRequest,
    RuleCreate,
    RunRead,
    SplitRequest,
    ThemeDetail,
    ThemeItemPage,
    ThemeRead,
    ThemeUpdate,
)

router = APIRouter(prefix="/themes", tags=["themes"])

Flag = Annotated[bool, Query()]


@router.get("", response_model=list[ThemeRead])
def list_themes(
    session: SessionDep, _: ViewerDep, hidden: Flag = False, retired: Flag = False, merged: Flag = False
) -> list[ThemeRead]:
    """Discovered and rule themes in one list, most frequent first: volume, score impact (NPS with vs without, 95 %
    interval), weekly trend. `hidden`, `retired`, `merged` add those themes."""
    return themes.list_themes(session, include_hidden=hidden, include_retired=retired, include_merged=merged)


@router.post("", response_model=ThemeRead, status_code=status.HTTP_201_CREATED)
def add_rule(body: RuleCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> ThemeRead:
    """A user-defined theme: items whose text holds one of the phrases (whole words, any case) get it, now and as
    they arrive."""
    theme = themes.add_rule(session, data=body)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.theme_created,
        target_id=theme.id,
        after={"name": theme.name, "phrases": theme.phrases},
    )
    return themes.get_theme(session, theme_id=theme.id, examples=0)


@router.post("/discover", response_model=RunRead, status_code=status.HTTP_202_ACCEPTED)
def discover(
    body: DiscoveryRequest, session: SessionDep, _: AnalystDep, actor: ActorDep, response: Response
) -> RunRead:
    """Queue a discovery run over the newest `limit` comments of each kind (responses, feedback) for the worker and
    answer at once (202): `Location` is the run, `GET /api/v1/themes/runs/{id}` says when it is done. Themes found
    again keep their identity and the names users gave them. 409 while another run is queued or running."""
    run = themes.run_read(runs.queue_discovery(session, limit=body.limit, embedder=body.embedder))
    audit.record(
        session,
        actor=actor,
        action=AuditAction.theme_discovered,
        target_id=run.id,
        after={"embedder": body.embedder, "limit": body.limit, "status": run.status.value},
    )
    response.headers["Location"] = f"/api/v1/themes/runs/{run.id}"
    return run


@router.get("/runs/{run_id:int}", response_model=RunRead)
def get_run(run_id: Id, session: SessionDep, _: ViewerDep) -> RunRead:
    """A discovery run: queued, running, done (with what it found) or failed (with why)."""
    return runs.get_run(session, run_id=run_id)


@router.post("/merge", response_model=ThemeRead)
def merge(body: MergeRequest, session: SessionDep, _: AnalystDep, actor: ActorDep) -> ThemeRead:
    """Merge `theme_ids` into `into`: their items move, and later runs hand what they find of them to `into`."""
    audit_trail.merge_themes(session, theme_ids=body.theme_ids, into=body.into, actor=actor)
    return themes.get_theme(session, theme_id=body.into, examples=0)


@router.get("/{theme_id:int}", response_model=ThemeDetail)
def get_theme(theme_id: Id, session: SessionDep, _: ViewerDep) -> ThemeDetail:
    """One theme with its figures and its most typical comments."""
    return themes.get_theme(session, theme_id=theme_id)


@router.get("/{theme_id:int}/items", response_model=ThemeItemPage)
def theme_items(theme_id: Id, session: SessionDep, _: ViewerDep, limit: Limit = 50) -> ThemeItemPage:
    """The theme's items, most typical first, and how many it has."""
    return themes.theme_items(session, theme_id=theme_id, limit=limit)


@router.patch("/{theme_id:int}", response_model=ThemeRead)
def update_theme(theme_id: Id, body: ThemeUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> ThemeRead:
    """Rename (discovery keeps the name from then on), pin (discovery keeps the theme as it is) or hide."""
    audit_trail.update_theme(session, theme_id=theme_id, data=body, actor=actor)
    return themes.get_theme(session, theme_id=theme_id, examples=0)


@router.post("/{theme_id:int}/split", response_model=list[ThemeRead], status_code=status.HTTP_201_CREATED)
def split(theme_id: Id, body: SplitRequest, session: SessionDep, _: AnalystDep, actor: ActorDep) -> list[ThemeRead]:
    """Each group of keywords becomes a new rule theme taking this theme's items whose text holds one of them."""
    made = audit_trail.split_theme(session, theme_id=theme_id, groups=body.groups, actor=actor)
    return [themes.get_theme(session, theme_id=t.id, examples=0) for t in made]
