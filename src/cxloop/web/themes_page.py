"""The themes page (/themes): the taxonomy of text/themes with each theme's volume, share, sentiment, NPS impact,
weekly trend (a sparkline) and its most typical comments, masked for viewers and agents as the API masks them;
for analysts and admins, the forms of themes_edit.py."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.branding.current import load_brand
from cxloop.core.csv_cells import LIST_SEPARATOR
from cxloop.precomputed.registry import THEMES, NoParams
from cxloop.storage.deps import SessionDep
from cxloop.text import service as text
from cxloop.text.themes import queries as theme_queries
from cxloop.text.themes import runs
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import ThemeRead
from cxloop.web import stored_analysis, themes_edit
from cxloop.web.auth import ViewerPage
from cxloop.web.rendering import render
from cxloop.web.tables import Cell, Column, Row, Table, count, figure, num, with_interval

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


def themes_table(
    rows: list[ThemeRow], *, key: str = "themes", caption: str = "Themes, the most frequent first"
) -> Table:
    """The taxonomy: volume, share, sentiment, NPS impact with its interval and n, weekly mentions, examples."""
    built = []
    for row in rows:
        t, i = row.theme, row.theme.impact
        reading = "too few to read" if i.small_sample else "significant" if i.significant else "within noise"
        impact = with_interval(i.difference, i.ci_low, i.ci_high, 1, signed=True)
        cells = (
            Cell(
                t.name,
                (t.name, LIST_SEPARATOR.join(row.examples)),
                href=f"/feedback?range=year&theme={t.id}",
                note="rule" if t.kind.value == "rule" else "",
                lines=tuple(row.examples),
            ),
            count(t.volume),
            num(t.share, 1, unit=" %"),
            Cell(
                row.sentiment_word,
                (row.sentiment_word, t.sentiment),
                note=figure(t.sentiment, 2, signed=True) if t.sentiment is not None else "",
            ),
            Cell(
                impact.text,
                impact.values,
                ci=impact.ci,
                note=reading if i.difference is not None else "no scored comments",
            ),
            count(i.n_with),
            count(i.n_without),
            Cell("", (LIST_SEPARATOR.join(str(n) for n in row.weekly),), spark=tuple(row.weekly)),
        )
        built.append(Row(cells, small=bool(i.small_sample)))
    columns = (
        Column("Theme", csv=("Theme", "Typical comments")),
        Column("Volume", numeric=True),
        Column("Share", numeric=True),
        Column("Sentiment", csv=("Sentiment", "Sentiment score")),
        Column.with_interval("NPS impact"),
        Column("n with", numeric=True),
        Column("n without", numeric=True),
        Column("Mentions per week", csv=("Mentions per week, oldest first",)),
    )
    return Table(key, caption, columns, tuple(built))


def theme_examples(session: Session, *, theme_id: int, role: Role, limit: int) -> list[str]:
    """A theme's most typical comments as `role` may read them (masked for viewers and agents)."""
    shown = theme_queries.examples(session, theme_id=theme_id, limit=limit)
    return [e for e in (text.text_for_role(e[2], role=role) or "" for e in shown) if e]


@router.get("/themes")
def themes_page(request: Request, session: SessionDep, user: ViewerPage) -> Response:
    """Every visible theme, the most frequent first, from the stored analysis (web/stored_analysis.py); analysts and
    admins also get the forms that edit the taxonomy (themes_edit.py) and the hidden themes, to show them again.
    The examples are read live (a few index entries a theme), so an erased comment never shows from a stored
    result."""
    can_edit = user.role.includes(Role.analyst)
    found = stored_analysis.load(request, session, THEMES, NoParams())
    rows, hidden = [], []
    for theme in found.value or []:
        if theme.hidden:
            if can_edit:
                hidden.append(theme)
            continue
        rows.append(ThemeRow(theme, theme_examples(session, theme_id=theme.id, role=user.role, limit=EXAMPLES)))
    return render(
        request,
        "themes.html",
        user=user,
        title="Themes",
        found=found,
        rows=themes_table(rows),
        theme_rows=rows,
        hidden=hidden,
        done=themes_edit.DONE.get(request.query_params.get("done", "")),
        last_run=themes.last_run(session),
        active_run=runs.active_run(session),
        weeks=themes.TREND_WEEKS,
        can_edit=can_edit,
    )
