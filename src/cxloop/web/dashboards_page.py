"""Team dashboards (/dashboards): every signed-in user reads every dashboard; a team's lead and members (agents and
above) and admins create, rename and delete its dashboards and add, change, move and remove their cards. Forms work
without JavaScript (move up / down are buttons); every change is audited as dashboard.created / updated / deleted.
`/dashboards/{id}/print` is the same cards on a page made for paper: no navigation, the figures under each chart,
the filters and the time it was drawn in the title."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.errors import InvalidInput, NotFound
from cxloop.core.int_bounds import Id
from cxloop.dashboards import service as dashboards
from cxloop.dashboards.enums import BOARD_FILTERS, CardKindName
from cxloop.dashboards.errors import CardNotFound
from cxloop.dashboards.schemas import CardRead, DashboardRead
from cxloop.precomputed.registry import THEMES, NoParams
from cxloop.storage.deps import SessionDep
from cxloop.web import cards, overview, stored_analysis
from cxloop.web.auth import ViewerPage, require_csrf, web_actor
from cxloop.web.filters import DEFAULT_PRESET, PRESETS, BadFilter, View, parse_filters
from cxloop.web.rendering import render
from cxloop.web.routes import filter_bar
from cxloop.web.service import SignedIn

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
Text = Annotated[str, Form(max_length=200)]


class NotYours(Exception):
    """The signed-in user may read the dashboard but not change it."""


def _today() -> date:
    return datetime.now(UTC).date()


def _message(request: Request, user: SignedIn, status: int, title: str, message: str, back: str) -> Response:
    return render(
        request,
        "message.html",
        user=user,
        status_code=status,
        title=title,
        message=message,
        back=back,
        back_label="Back to the dashboards" if back == "/dashboards" else "Back to the dashboard",
    )


def _editable(session: Session, user: SignedIn, board: DashboardRead) -> bool:
    return dashboards.can_edit(session, dashboard=board, user_id=user.user_id, role=user.role)


def _change(
    request: Request, session: Session, user: SignedIn, dashboard_id: int, change: Any, *, back: str | None = None
) -> Response:
    """Apply `change(board)` to a dashboard the user may edit, audit it, and go back to the dashboard; a refused or
    impossible change answers its page (403, 404, 400 naming the field) and writes nothing."""
    target = back or f"/dashboards/{dashboard_id}"
    try:
        before = dashboards.require_dashboard(session, dashboard_id=dashboard_id)
        if not _editable(session, user, before):
            raise NotYours
        after = change(before)
    except NotFound:
        session.rollback()
        message = f"There is no dashboard {dashboard_id}, or no such card on it."
        return _message(request, user, 404, "No such dashboard or card", message, "/dashboards")
    except NotYours:
        return _message(
            request,
            user,
            403,
            "Not your team's dashboard",
            "Only the team's lead and members (agents and above) and admins change its dashboards. "
            "Nothing was changed.",
            target,
        )
    except (InvalidInput, BadFilter) as exc:
        session.rollback()
        return _refused(request, user, exc, "That change cannot be made", target)
    action = AuditAction.dashboard_deleted if after is None else AuditAction.dashboard_updated
    audit.record(
        session,
        actor=web_actor(request, user),
        action=action,
        target_id=dashboard_id,
        before=dashboards.summary(before),
        after=dashboards.summary(after) if after is not None else None,
    )
    return RedirectResponse(target, status_code=303)


def _refused(request: Request, user: SignedIn, exc: InvalidInput | BadFilter, title: str, back: str) -> Response:
    """400: the field that cannot be used and why; the transaction was rolled back, so nothing changed."""
    field, reason = _field(exc)
    return render(
        request,
        "message.html",
        user=user,
        status_code=400,
        title=title,
        message="Nothing was changed.",
        field=field,
        reason=reason,
        back=back,
        back_label="Back to the dashboards" if back == "/dashboards" else "Back to the dashboard",
    )


def _field(exc: InvalidInput | BadFilter) -> tuple[str, str]:
    if isinstance(exc, BadFilter):
        return exc.field, exc.message
    first = exc.errors[0] if exc.errors else None
    return (first.field, first.message) if first else ("form", str(exc))


@router.get("/dashboards")
def dashboards_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """Every dashboard by team, and a form to start one for the teams the user may edit."""
    teams = {t.id: t for t in access.list_teams(session)}
    editable = dashboards.editable_team_ids(session, user_id=user.user_id, role=user.role)
    return render(
        request,
        "dashboards.html",
        user=user,
        title="Dashboards",
        boards=dashboards.list_dashboards(session),
        teams=teams,
        editable=[teams[i] for i in editable],
    )


@router.post("/dashboards", dependencies=[Depends(require_csrf)], **body_cap("POST /dashboards"))
def create_dashboard(
    request: Request, session: SessionDep, user: ViewerPage, name: Text = "", team_id: Text = ""
) -> Response:
    """A new dashboard of a team the user may edit; then its page, to add cards."""
    if not team_id.isdigit() or int(team_id) not in dashboards.editable_team_ids(
        session, user_id=user.user_id, role=user.role
    ):
        return render(
            request,
            "message.html",
            user=user,
            status_code=403 if team_id.isdigit() else 400,
            title="That dashboard cannot be made",
            message="Only the team's lead and members (agents and above) and admins make its dashboards.",
            field="team_id",
            reason="choose one of your teams",
            back="/dashboards",
            back_label="Back to the dashboards",
        )
    try:
        board = dashboards.create_dashboard(session, team_id=int(team_id), name=name)
    except InvalidInput as exc:
        session.rollback()
        return _refused(request, user, exc, "That dashboard cannot be made", "/dashboards")
    audit.record(
        session,
        actor=web_actor(request, user),
        action=AuditAction.dashboard_created,
        target_id=board.id,
        after=dashboards.summary(board),
    )
    return RedirectResponse(f"/dashboards/{board.id}", status_code=303)


@dataclass(frozen=True)
class BoardFilter:
    """The dashboard-wide filter of the address (?range=30d&segment=enterprise&channel=email), applied over every
    card: `params` what it sets (dates only when `range` is given), `view` for the filter bar."""

    params: dict[str, str]
    view: View

    def described(self, names: dict[str, str]) -> str:
        """'Enterprise · email · last 30 days': what every card is filtered by, by display name ("" for nothing)."""
        dims = [names.get(f"{k}:{v}", v) for k, v in self.view.dims.items()]
        return " · ".join([*dims, *([self.view.range_label] if "range" in self.params else [])])

    @property
    def query(self) -> str:
        return f"?{urlencode(self.params)}" if self.params else ""


def _board_filter(request: Request) -> BoardFilter:
    """The dashboard-wide filter asked for; BadFilter (a 400 naming the field) for a value that cannot be used."""
    asked = {k: v for k in BOARD_FILTERS if (v := request.query_params.get(k, "").strip())}
    if asked.get("range") != "custom":
        asked = {k: v for k, v in asked.items() if k not in ("start", "end")}  # the dates of a preset are today's
    view = parse_filters({"range": DEFAULT_PRESET} | asked, today=_today())
    dates = {k: v for k, v in view.params().items() if k in ("range", "start", "end")} if "range" in asked else {}
    preset = view.preset if "range" in asked else ""  # "" : each card keeps its own dates
    return BoardFilter(params=dates | view.dims, view=replace(view, preset=preset))


def _shown_cards(
    request: Request,
    session: Session,
    user: SignedIn,
    board: DashboardRead,
    names: dict[str, str],
    over: dict[str, str],
) -> list[dict[str, Any]]:
    """Each card with its kind, view, title and body (or why it cannot be shown), under the dashboard's filter.
    The themes card reads the themes page's stored analysis (web/stored_analysis.py); the score, trend and breakdown
    cards theirs when the rollups cannot answer them (web/cards.py)."""
    has_themes = any(card.kind == CardKindName.themes for card in board.cards)
    themes_found = stored_analysis.load(request, session, THEMES, NoParams()) if has_themes else None
    shown = []
    for card in board.cards:
        kind = cards.KINDS.get(card.kind)
        entry: dict[str, Any] = {"card": card, "kind": kind, "body": None, "problem": None, "view": None}
        if kind is None:
            entry["problem"] = f"'{card.kind}' is no longer a kind of card: remove it."
        else:
            try:
                view, metric = cards.check_filters(cards.over_card(card.filters, over), today=_today())
                entry["view"], entry["metric"] = view, metric
                entry["subtitle"] = view.title(card.title, names)
                shown_as = cards.Shown(view, metric, f"card-{card.id}", user.role, request, themes_found)
                entry["body"] = kind.build(session, shown_as)
            except BadFilter as exc:
                entry["problem"] = f"{exc.field}: {exc.message}"
            except InvalidInput as exc:
                entry["problem"] = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or str(exc)
        shown.append(entry)
    return shown


def _board_page(request: Request, session: Session, user: SignedIn, dashboard_id: int, template: str) -> Response:
    try:
        board = dashboards.require_dashboard(session, dashboard_id=dashboard_id)
    except NotFound:
        return _message(
            request, user, 404, "No such dashboard", f"There is no dashboard {dashboard_id}.", "/dashboards"
        )
    team = access.get_team(session, team_id=board.team_id)
    over = _board_filter(request)
    choices = filter_bar(session, cards.check_filters({}, today=_today())[0], board.name)["choices"]
    names = {f"{dim}:{key}": name for dim, options in choices.items() for key, name in options}
    shown = _shown_cards(request, session, user, board, names, over.params)
    return render(
        request,
        template,
        user=user,
        title=" · ".join(part for part in (board.name, over.described(names)) if part),
        filtered_by=over.described(names),
        board=board,
        over=over,
        view=over.view,
        team=team,
        shown=shown,
        tables=[e["body"].table for e in shown if e["body"] is not None and e["body"].table is not None],
        can_edit=_editable(session, user, board),
        can_refresh=user.role.includes(Role.analyst) and template == "dashboard.html",  # no button on paper
        kinds=cards.KINDS,
        choices=choices,
        presets=PRESETS,
        metrics=overview.METRICS,
        drawn_at=datetime.now(UTC),
    )


@router.get("/dashboards/{dashboard_id:int}")
def dashboard_page(request: Request, session: SessionDep, user: ViewerPage, dashboard_id: Id) -> Response:
    """The dashboard's cards in order; for its editors, the forms that arrange them."""
    return _board_page(request, session, user, dashboard_id, "dashboard.html")


@router.get("/dashboards/{dashboard_id:int}/print")
def dashboard_print(request: Request, session: SessionDep, user: ViewerPage, dashboard_id: Id) -> Response:
    """The dashboard as a printable report (print CSS: A4, no navigation, figures under each chart)."""
    return _board_page(request, session, user, dashboard_id, "dashboard_print.html")


@router.post(
    "/dashboards/{dashboard_id:int}/rename",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /dashboards/{dashboard_id:int}/rename"),
)
def rename_dashboard(
    request: Request, session: SessionDep, user: ViewerPage, dashboard_id: Id, name: Text = ""
) -> Response:
    return _change(
        request,
        session,
        user,
        dashboard_id,
        lambda board: dashboards.rename_dashboard(session, dashboard_id=board.id, name=name),
    )


@router.post(
    "/dashboards/{dashboard_id:int}/delete",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /dashboards/{dashboard_id:int}/delete"),
)
def delete_dashboard(request: Request, session: SessionDep, user: ViewerPage, dashboard_id: Id) -> Response:
    def remove(board: DashboardRead) -> None:
        dashboards.delete_dashboard(session, dashboard_id=board.id)

    return _change(request, session, user, dashboard_id, remove, back="/dashboards")


def _card_form(kind_key: str, title: str, fields: dict[str, str]) -> tuple[cards.CardKind, str, dict[str, str]]:
    """The kind, title and stored filters a card form asks for; BadFilter naming the first field that cannot be used."""
    kind = cards.KINDS.get(kind_key)
    if kind is None:
        raise BadFilter("kind", f"'{kind_key[:40]}' is not one of: {', '.join(cards.KINDS)}")
    view, metric = cards.check_filters(fields, today=_today())
    name = str(overview.METRICS[metric]["name"]) if kind.uses_metric else ""
    return kind, title.strip() or " ".join(p for p in (name, kind.label) if p), cards.stored_filters(view, metric, kind)


def _card_fields(
    range_: Annotated[str, Form(alias="range", max_length=20)] = "",
    start: Text = "",
    end: Text = "",
    segment: Text = "",
    stage: Text = "",
    touchpoint: Text = "",
    channel: Text = "",
    survey: Text = "",
    metric: Text = "",
) -> dict[str, str]:
    """The filters a card form sends (the filter bar's parameters and the metric), those given only."""
    values = {
        "range": range_,
        "start": start,
        "end": end,
        "segment": segment,
        "stage": stage,
        "touchpoint": touchpoint,
        "channel": channel,
        "survey": survey,
        "metric": metric,
    }
    return {k: v for k, v in values.items() if v}


CardFields = Annotated[dict[str, str], Depends(_card_fields)]


@router.post(
    "/dashboards/{dashboard_id:int}/cards",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /dashboards/{dashboard_id:int}/cards"),
)
def add_card(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    dashboard_id: Id,
    fields: CardFields,
    kind: Text = "",
    title: Text = "",
) -> Response:
    """A card at the end of the dashboard, with its own filters."""

    def add(board: DashboardRead) -> DashboardRead:
        chosen, name, filters = _card_form(kind, title, fields)
        dashboards.add_card(session, dashboard_id=board.id, kind=chosen.key, title=name, filters=filters)
        return dashboards.require_dashboard(session, dashboard_id=board.id)

    return _change(request, session, user, dashboard_id, add)


@router.post(
    "/dashboards/{dashboard_id:int}/cards/{card_id:int}",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /dashboards/{dashboard_id:int}/cards/{card_id:int}"),
)
def update_card(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    dashboard_id: Id,
    card_id: Id,
    fields: CardFields,
    title: Text = "",
) -> Response:
    """Rename a card and change its filters."""

    def update(board: DashboardRead) -> DashboardRead:
        card = _card_of(board, card_id)
        _, name, filters = _card_form(card.kind, title, fields)
        dashboards.update_card(session, dashboard_id=board.id, card_id=card_id, title=name, filters=filters)
        return dashboards.require_dashboard(session, dashboard_id=board.id)

    return _change(request, session, user, dashboard_id, update)


def _card_of(board: DashboardRead, card_id: int) -> CardRead:
    for card in board.cards:
        if card.id == card_id:
            return card
    raise CardNotFound(f"no card {card_id} on dashboard {board.id}")


@router.post(
    "/dashboards/{dashboard_id:int}/cards/{card_id:int}/move",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /dashboards/{dashboard_id:int}/cards/{card_id:int}/move"),
)
def move_card(
    request: Request, session: SessionDep, user: ViewerPage, dashboard_id: Id, card_id: Id, direction: Text = ""
) -> Response:
    """Move a card one place up or down."""

    def move(board: DashboardRead) -> DashboardRead:
        if direction not in ("up", "down"):
            raise BadFilter("direction", "move a card up or down")
        _card_of(board, card_id)
        offset = -1 if direction == "up" else 1
        dashboards.move_card(session, dashboard_id=board.id, card_id=card_id, offset=offset)
        return dashboards.require_dashboard(session, dashboard_id=board.id)

    return _change(request, session, user, dashboard_id, move)


@router.post(
    "/dashboards/{dashboard_id:int}/cards/{card_id:int}/remove",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /dashboards/{dashboard_id:int}/cards/{card_id:int}/remove"),
)
def remove_card(request: Request, session: SessionDep, user: ViewerPage, dashboard_id: Id, card_id: Id) -> Response:
    def remove(board: DashboardRead) -> DashboardRead:
        _card_of(board, card_id)
        dashboards.remove_card(session, dashboard_id=board.id, card_id=card_id)
        return dashboards.require_dashboard(session, dashboard_id=board.id)

    return _change(request, session, user, dashboard_id, remove)


@router.post(
    "/dashboards/{dashboard_id:int}/arrange",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /dashboards/{dashboard_id:int}/arrange"),
)
def arrange_cards(
    request: Request,
    session: SessionDep,
    user: ViewerPage,
    dashboard_id: Id,
    order: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Put every card in the order sent (comma-separated card ids, first card first): what a drag and drop saves.
    204 when saved; the message page (400 naming `order`, 403, 404) otherwise."""

    def arrange(board: DashboardRead) -> DashboardRead:
        ids = [part.strip() for part in order.split(",")]
        if not all(part.isdigit() and len(part) < 19 for part in ids):
            raise BadFilter("order", "send the card ids, comma-separated")
        dashboards.arrange_cards(session, dashboard_id=board.id, card_ids=[int(part) for part in ids])
        return dashboards.require_dashboard(session, dashboard_id=board.id)

    answer = _change(request, session, user, dashboard_id, arrange)
    return Response(status_code=204) if answer.status_code == 303 else answer
