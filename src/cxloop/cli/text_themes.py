"""`cxloop text themes discover|list|show|rename|merge|split|pin|hide|add-rule`: the themes of comments, one editable
taxonomy (docs/themes.md). To be mounted as `cxloop text themes` with the text command group."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database, fail, validation_message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from cxloop.text.themes.schemas import ThemeRead

app = typer.Typer(
    help="Themes of comments and feedback: discover them, list them, and edit the taxonomy.", no_args_is_help=True
)

AsJson = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
ThemeId = Annotated[int, typer.Argument(min=1, help="The theme's id (see `cxloop text themes list`).")]


@contextmanager
def _edit() -> Iterator[Session]:
    """A unit of work whose refusals (an unknown theme, bad input) print a plain message and exit with 2."""
    from pydantic import ValidationError

    from cxloop.core.errors import InvalidInput, NotFound

    try:
        with database().unit_of_work() as session:
            yield session
    except NotFound as error:
        raise fail(error.message, code=2) from None
    except InvalidInput as error:
        details = "; ".join(f"{e.field}: {e.message}" for e in error.errors)
        raise fail(f"{error.message}: {details}" if details else error.message, code=2) from None
    except ValidationError as error:
        raise fail(validation_message(error), code=2) from None


def _record(session: Session, action: str, theme_id: int, **after: Any) -> None:
    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor

    audit.record(session, actor=AuditActor.cli(), action=AuditAction(action), target_id=theme_id, after=after)


def _impact(theme: ThemeRead) -> str:
    i = theme.impact
    if i.difference is None:
        return "-"
    interval = f" [{i.ci_low:+.0f}, {i.ci_high:+.0f}]" if i.ci_low is not None and i.ci_high is not None else ""
    flag = " (small n)" if i.small_sample else ""
    return f"{i.difference:+.1f}{interval} n={i.n_with}{flag}"


def _trend(theme: ThemeRead) -> str:
    bars = " ▁▂▃▄▅▆▇█"
    top = max((w.count for w in theme.trend), default=0)
    return "".join(bars[round(8 * w.count / top)] if top else bars[0] for w in theme.trend)


def _print_json(data: Any) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, default=str))


@app.command()
def discover(
    limit: Annotated[
        int,
        typer.Option(min=10, max=500_000, help="Read the newest LIMIT comments of each kind (responses, feedback)."),
    ] = 200_000,
    embedder: Annotated[
        str,
        typer.Option(
            help="lsa (TF-IDF + SVD, always there), minilm (needs cxloop[nlp]) or auto (minilm if installed)."
        ),
    ] = "lsa",
    as_json: AsJson = False,
) -> None:
    """Find the themes of the newest comments (their number is found, not given), keeping the identity and the
    names of themes found again; every comment's themes are rewritten, older comments matched to the new themes in
    batches. Runs here and now (the API queues a run for the worker instead); clustering and matching hold no
    transaction, so the worker and the API keep writing meanwhile. Interrupted while matching, the worker carries
    the run on once its lease runs out (10 minutes)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from cxloop.core.errors import Conflict
    from cxloop.text.themes import runs

    try:
        with _edit() as session:
            started = runs.start_discovery(session, limit=limit, embedder=embedder)
            _record(session, "theme.discovered", started.id, embedder=embedder, limit=limit, status="running")
    except Conflict as error:
        raise fail(error.message, code=2) from None
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)
        step: Callable[[str], None] = lambda text: bar.update(task, description=text)  # noqa: E731
        counted: Callable[[int, int], None] = lambda done, total: bar.update(task, completed=done, total=total)  # noqa: E731
        run = runs.execute(database(), run_id=started.id, progress=step, counted=counted)
    if run is None or run.error is not None:
        raise fail(f"discovery run {started.id} failed: {run.error if run else 'taken over by a worker'}", code=1)
    if as_json:
        _print_json(run.model_dump(mode="json"))
        return
    seconds = sum(run.details.get("seconds", {}).values())
    console.print(
        f"{run.themes_found} themes in {run.items} comments ({run.embedder}, {seconds:.1f} s): "
        f"{run.kept} kept their identity, {run.created} new, {run.retired} retired; "
        f"{run.details.get('rematched', 0)} older comments matched to them"
    )


@app.command("list")
def list_themes(
    everything: Annotated[bool, typer.Option("--all", help="Also hidden, retired and merged themes.")] = False,
    as_json: AsJson = False,
) -> None:
    """Discovered and rule themes in one list, most frequent first: volume, NPS impact with its 95 % interval, and
    the weekly trend of the last 12 weeks."""
    from cxloop.text.themes import service as themes

    with database().unit_of_work() as session:
        found = themes.list_themes(
            session, include_hidden=everything, include_retired=everything, include_merged=everything
        )
    if as_json:
        _print_json([t.model_dump(mode="json") for t in found])
        return
    table = Table("id", "name", "kind", "items", "share", "NPS impact (95% CI)", "12 weeks", "flags")
    for t in found:
        flags = [f for f, on in (("pinned", t.pinned), ("hidden", t.hidden), ("retired", t.retired)) if on]
        if t.merged_into_id:
            flags.append(f"merged into {t.merged_into_id}")
        share = f"{t.share:.1f}%" if t.share is not None else "-"
        table.add_row(str(t.id), escape(t.name), t.kind, str(t.volume), share, _impact(t), _trend(t), ", ".join(flags))
    console.print(table)
    if not found:
        console.print(
            "no themes yet: run `cxloop text themes discover` or add a rule with `cxloop text themes add-rule`"
        )


@app.command()
def show(theme_id: ThemeId, as_json: AsJson = False) -> None:
    """One theme: its key phrases, figures and most typical comments."""
    from cxloop.text.themes import service as themes

    with _edit() as session:
        theme = themes.get_theme(session, theme_id=theme_id)
    if as_json:
        _print_json(theme.model_dump(mode="json"))
        return
    console.print(f"[bold]{escape(theme.name)}[/bold] ({theme.kind}, id {theme.id})")
    console.print(f"key phrases: {escape(', '.join(theme.key_phrases))}")
    if theme.phrases:
        console.print(f"rule phrases: {escape(', '.join(theme.phrases))}")
    console.print(f"items: {theme.volume} ({theme.primary_volume} as primary theme)   NPS impact: {_impact(theme)}")
    console.print(f"12 weeks: {_trend(theme)}")
    for example in theme.examples:
        console.print(f"  - {escape(example.text[:200])}")


@app.command()
def rename(theme_id: ThemeId, name: Annotated[str, typer.Argument(help="The new name.")]) -> None:
    """Give a theme a name; later discovery runs keep it."""
    from cxloop.text.themes import service as themes
    from cxloop.text.themes.schemas import ThemeUpdate

    with _edit() as session:
        before = themes.require_theme(session, theme_id=theme_id).name
        theme = themes.update_theme(session, theme_id=theme_id, data=ThemeUpdate(name=name))
        _record(session, "theme.updated", theme_id, name=theme.name, was=before)
    console.print(f"theme {theme_id} is now {escape(name.strip())!r}")


def _flag(theme_id: int, field: str, on: bool) -> None:
    from cxloop.text.themes import service as themes
    from cxloop.text.themes.schemas import ThemeUpdate

    with _edit() as session:
        themes.update_theme(session, theme_id=theme_id, data=ThemeUpdate.model_validate({field: on}))
        _record(session, "theme.updated", theme_id, **{field: on})
    console.print(f"theme {theme_id}: {field} = {on}")


@app.command()
def pin(
    theme_id: ThemeId, off: Annotated[bool, typer.Option("--off", help="Unpin: discovery may change it again.")] = False
) -> None:
    """Pin a theme: discovery keeps its name, key phrases and profile as they are, and never retires it."""
    _flag(theme_id, "pinned", not off)


@app.command()
def hide(theme_id: ThemeId, off: Annotated[bool, typer.Option("--off", help="Show it again.")] = False) -> None:
    """Hide a theme from the list (and from being an item's primary theme); its items keep it."""
    _flag(theme_id, "hidden", not off)


@app.command()
def merge(
    theme_ids: Annotated[list[int], typer.Argument(min=1, help="The themes to merge away.")],
    into: Annotated[int, typer.Option(min=1, help="The theme they become part of.")],
) -> None:
    """Merge themes into one: their items move to it, and later discovery runs hand what they find of them to it."""
    from cxloop.text.themes import service as themes
    from cxloop.text.themes.schemas import MergeRequest

    with _edit() as session:
        body = MergeRequest(theme_ids=theme_ids, into=into)
        target = themes.merge_themes(session, theme_ids=body.theme_ids, into=body.into)
        _record(session, "theme.merged", into, merged=body.theme_ids)
        name = target.name
    console.print(f"merged {', '.join(map(str, theme_ids))} into {into} ({escape(name)})")


@app.command()
def split(
    theme_id: ThemeId,
    group: Annotated[
        list[str],
        typer.Option(help="Comma-separated keywords of one new theme (repeat for each), e.g. --group 'wifi,router'."),
    ],
) -> None:
    """Split a theme by keywords: each group becomes a new rule theme taking the theme's items that hold one."""
    from cxloop.text.themes import service as themes
    from cxloop.text.themes.schemas import SplitRequest

    with _edit() as session:
        body = SplitRequest(groups=[g.split(",") for g in group])
        made = themes.split_theme(session, theme_id=theme_id, groups=body.groups)
        _record(session, "theme.split", theme_id, themes=[{"id": t.id, "phrases": t.phrases} for t in made])
        names = [(t.id, t.name) for t in made]
    for made_id, name in names:
        console.print(f"new theme {made_id}: {escape(name)}")


@app.command("add-rule")
def add_rule(
    name: Annotated[str, typer.Argument(help="The theme's name.")],
    phrase: Annotated[list[str], typer.Option(help="A keyword or phrase (repeat for more); whole words, any case.")],
) -> None:
    """Define a theme by keywords and phrases: comments holding one get it, now and as they arrive."""
    from cxloop.text.themes import service as themes
    from cxloop.text.themes.schemas import RuleCreate

    with _edit() as session:
        theme = themes.add_rule(session, data=RuleCreate(name=name, phrases=phrase))
        _record(session, "theme.created", theme.id, name=theme.name, phrases=theme.phrases)
        made = (theme.id, theme.name)
    console.print(f"theme {made[0]}: {escape(made[1])}")
