"""The themes page (/themes): the taxonomy of text/themes with each theme's volume, share, sentiment, NPS impact,
weekly trend (a sparkline) and its most typical comments, masked for viewers and agents as the API masks them;
for analysts and admins, the forms of themes_edit.py."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cxloop.access.enums import Role
from cxloop.branding.current import load_brand
from cxloop.storage.deps import SessionDep
from cxloop.text import service as text
from cxloop.text.themes import queries as theme_queries
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import ThemeRead
from cxloop.web import themes_edit
from cxloop.web.auth import ViewerPage
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
EXAMPLES = 2
NEUTRAL_BAND = 0.1  # a mean sentiment score within ±0.1 reads "neutral"


@dataclass(frozen=True)
class ThemeRow:
    theme: ThemeRead
    examples: list[str]

    @property
    def sentiment_word(self) -> str:
        score = self.theme.sentiment
        if score is None:
            return "not analysed"
        return "negative" if score < -NEUTRAL_BAND else "positive" if score > NEUTRAL_BAND else "neutral"

    @property
    def weekly(self) -> list[int]:
        return [w.count for w in self.theme.trend]


@router.get("/themes")
def themes_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """Every visible theme, the most frequent first; analysts and admins also get the forms that edit the taxonomy
    (themes_edit.py) and the hidden themes, to show them again."""
    can_edit = user.role.includes(Role.analyst)
    rows, hidden = [], []
    for theme in themes.list_themes(session, include_hidden=can_edit):
        if theme.hidden:
            hidden.append(theme)
            continue
        shown = theme_queries.examples(session, theme_id=theme.id, limit=EXAMPLES)
        examples = [text.text_for_role(e[2], role=user.role) or "" for e in shown]
        rows.append(ThemeRow(theme, [e for e in examples if e]))
    return render(
        request,
        "themes.html",
        user=user,
        title="Themes",
        rows=rows,
        hidden=hidden,
        done=themes_edit.DONE.get(request.query_params.get("done", "")),
        last_run=themes.last_run(session),
        weeks=themes.TREND_WEEKS,
        can_edit=can_edit,
    )
