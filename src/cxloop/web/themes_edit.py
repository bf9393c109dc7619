"""The themes page's forms (analysts and admins, as in the API): rename, pin or unpin, hide or show, merge, split.

Each is a CSRF-checked POST through the taxonomy service and the same audit entry as the API
(`text/themes/audit_trail.py`). A form that worked goes back to /themes with a notice (Post/Redirect/Get); a refused
one answers with a page naming the field and the reason, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import InvalidInput, NotFound
from cxloop.core.int_bounds import Id
from cxloop.precomputed import service as precomputed
from cxloop.precomputed.registry import THEMES
from cxloop.storage.deps import SessionDep
from cxloop.text.themes import audit_trail
from cxloop.text.themes.schemas import MergeRequest, SplitRequest, ThemeUpdate
from cxloop.web.auth import AnalystPage, require_csrf, web_actor
from cxloop.web.forms import refusal_errors, refusal_status, validation_errors
from cxloop.web.rendering import render
from cxloop.web.service import SignedIn

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
# The notice of `/themes?done=...` after a form worked.
DONE = {
    "renamed": "The theme was renamed; discovery keeps its name from now on.",
    "pinned": "The theme was pinned; discovery keeps it as it is.",
    "unpinned": "The theme was unpinned; discovery may change it again.",
    "hidden": "The theme was hidden: it is left out of the list, the explorer's chips and exports.",
    "shown": "The theme is shown again.",
    "merged": "The themes were merged; their comments now carry the theme kept.",
    "split": "The theme was split; each group of keywords is a new rule theme.",
}
_FLAGS = {"true": True, "false": False}


def _refused(request: Request, user: SignedIn, status_code: int, field: str, reason: str) -> Response:
    return render(
        request,
        "message.html",
        user=user,
        status_code=status_code,
        title="The themes were not changed",
        message="Nothing was changed.",
        field=field,
        reason=reason,
        back="/themes",
        back_label="Back to the themes",
    )


def _applied(
    request: Request, session: Session, user: SignedIn, change: Callable[[], object], *, field: str, done: str
) -> Response:
    """Run `change` (validate the form, then the audited service call): back to /themes with the notice `done`, or
    the refusal (pydantic's or the service's) naming its field, with the transaction rolled back."""
    try:
        change()
    except ValidationError as exc:
        return _refused(request, user, 422, *next(iter(validation_errors(exc).items())))
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _refused(request, user, refusal_status(exc), *next(iter(refusal_errors(exc, field=field).items())))
    # the themes page's stored figures carry the old taxonomy: have them computed again (web/stored_analysis.py)
    precomputed.request_all(session, analysis=THEMES, now=utcnow())
    return RedirectResponse(f"/themes?done={done}", status_code=303)


@router.post("/themes/{theme_id:int}", dependencies=[Depends(require_csrf)], **body_cap("POST /themes/{theme_id:int}"))
def update_theme(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    theme_id: Id,
    name: Annotated[str | None, Form(max_length=300)] = None,
    pinned: Annotated[str, Form(max_length=5)] = "",
    hidden: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """One change a form: a new `name`, `pinned` or `hidden` set to true or false."""
    for field, value in (("pinned", pinned), ("hidden", hidden)):
        if value and value not in _FLAGS:
            return _refused(request, user, 422, field, f"'{value}' is not true or false")
    changes: dict[str, object] = {"name": name} if name is not None else {}
    changes |= {f: _FLAGS[v] for f, v in (("pinned", pinned), ("hidden", hidden)) if v}
    if not changes:
        return _refused(request, user, 422, "name", "give a new name, or pin, unpin, hide or show the theme")
    if name is not None:
        done = "renamed"
    elif pinned:
        done = "pinned" if _FLAGS[pinned] else "unpinned"
    else:
        done = "hidden" if _FLAGS[hidden] else "shown"

    def change() -> object:
        data = ThemeUpdate.model_validate(changes)
        return audit_trail.update_theme(session, theme_id=theme_id, data=data, actor=web_actor(request, user))

    return _applied(request, session, user, change, field="theme_id", done=done)


@router.post("/themes/merge", dependencies=[Depends(require_csrf)], **body_cap("POST /themes/merge"))
def merge_themes(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    theme_id: Annotated[list[str] | None, Form()] = None,
    into: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Merge the ticked themes (`theme_id`, repeated) into `into`."""
    given = theme_id or []
    bad = next((v for v in given if not v.isdigit() or len(v) > 12), None)
    if not given or bad is not None:
        reason = f"'{bad[:20]}' is not a theme id" if bad is not None else "tick the themes to merge"
        return _refused(request, user, 422, "theme_ids", reason)
    if not into.isdigit() or len(into) > 12:
        return _refused(request, user, 422, "into", "choose the theme to keep")

    def change() -> object:
        body = MergeRequest(theme_ids=[int(v) for v in given], into=int(into))
        actor = web_actor(request, user)
        return audit_trail.merge_themes(session, theme_ids=body.theme_ids, into=body.into, actor=actor)

    return _applied(request, session, user, change, field="theme_ids", done="merged")


@router.post(
    "/themes/{theme_id:int}/split",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /themes/{theme_id:int}/split"),
)
def split_theme(
    request: Request,
    session: SessionDep,
    user: AnalystPage,
    theme_id: Id,
    groups: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """`groups`: one new theme a line, its keywords separated by commas."""
    lines = [[p.strip() for p in line.split(",") if p.strip()] for line in groups.splitlines() if line.strip()]
    if not lines:
        return _refused(request, user, 422, "groups", "write one line of keywords, separated by commas, per new theme")

    def change() -> object:
        body = SplitRequest.model_validate({"groups": lines})
        return audit_trail.split_theme(session, theme_id=theme_id, groups=body.groups, actor=web_actor(request, user))

    return _applied(request, session, user, change, field="theme_id", done="split")
