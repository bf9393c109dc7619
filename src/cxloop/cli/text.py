"""`cxloop text enrich|learn|analyse|status`: text enrichment of comments and feedback, and the sentiment model
learned from the organisation's scored comments (docs/text-analytics.md)."""

from __future__ import annotations

import sys
from typing import Annotated

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli import text_themes
from cxloop.cli.context import console, database, err_console, fail, settings

app = typer.Typer(
    help="Text enrichment (language, sentiment, key phrases, masked personal data) and themes. Learn the "
    "organisation's own sentiment model from its scored comments; discover and edit themes with `cxloop text themes`.",
    no_args_is_help=True,
)
app.add_typer(text_themes.app, name="themes")
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of a table.")]


@app.command()
def enrich(
    everything: Annotated[
        bool, typer.Option("--all", help="Re-analyse every comment and feedback item, not only those not analysed yet.")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=100, max=10_000, help="Items per transaction.")] = 1_000,
) -> None:
    """Analyse the response comments and feedback texts not analysed yet (or all, with --all), in batches that are
    committed as they go: an interrupted run loses at most one batch, and running it again carries on. Each batch
    is analysed with no transaction open and written in a short one, so the worker and the API keep writing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from cxloop.text import service as text
    from cxloop.text.enums import ItemKind

    db = database()
    total = 0
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    ) as progress:
        for kind in ItemKind:
            with db.unit_of_work() as session:
                count = text.count_to_enrich(session, kind=kind, everything=everything)
            task = progress.add_task(f"enrich {kind.value}", total=count)
            after: int | None = 0
            while after is not None:
                step = text.enrich_next(db, kind=kind, after_id=after, everything=everything, limit=batch_size)
                total += step.analysed
                progress.advance(task, step.analysed)
                after = step.last_id
    console.print(f"analysed {total} texts")


@app.command()
def learn(
    as_json: JsonOption = False,
    embeddings: Annotated[
        str | None,
        typer.Option(
            help="Also fit a model on MiniLM sentence embeddings: auto (when cxloop[nlp] is installed), on, off. "
            "Default: CXLOOP_SENTIMENT_EMBEDDINGS (auto)."
        ),
    ] = None,
) -> None:
    """Fit the sentiment model to the organisation's own comments that came with a score (NPS 0-6 negative, 7-8
    neutral, 9-10 positive; CSAT and star ratings 1-2, 3, 4-5): TF-IDF, and on MiniLM sentence embeddings when the
    nlp extra is installed. Print each one's cross-validated macro-F1 beside the day-one model's on the same folds,
    keep the best and re-score the comments it changes. Exit code 2 when there are too few scored comments, or
    MiniLM is asked for and not installed."""
    from cxloop.text import service as text
    from cxloop.text.errors import EmbeddingsMissing, NotEnoughLabels
    from cxloop.text.sentiment import learned

    choice = embeddings or settings().sentiment_embeddings
    if choice not in learned.EMBEDDINGS:
        raise fail(f"--embeddings must be one of {', '.join(learned.EMBEDDINGS)}, not {choice!r}", code=2)
    db = database()
    with db.unit_of_work() as session:
        texts, labels = text.training_set(session)
    try:
        with console.status(f"cross-validating on {len(texts)} scored comments"):
            fitted = text.fit(texts, labels, embeddings=choice)
    except (NotEnoughLabels, EmbeddingsMissing) as error:
        err_console.print(escape(error.message), soft_wrap=True)
        raise typer.Exit(2) from None
    with db.unit_of_work(write=True) as session:
        result = text.store_fit(session, result=fitted)
    with console.status("re-scoring the stored analyses"):
        changed = text.rescore(db)
    model = result.model.model_copy(update={"rescored": changed})
    if as_json:
        sys.stdout.write(orjson.dumps({**model.model_dump(mode="json"), "in_use": result.in_use}).decode() + "\n")
        return
    table = Table("model", "macro-F1 (3 classes)", "macro-F1 (positive/negative)")
    table.add_row("learned, TF-IDF", f"{model.f1_learned:.3f}", f"{model.f1_learned_binary:.3f}")
    if model.f1_minilm is not None and model.f1_minilm_binary is not None:
        table.add_row("learned, MiniLM embeddings", f"{model.f1_minilm:.3f}", f"{model.f1_minilm_binary:.3f}")
    table.add_row("day one (lexicon)", f"{model.f1_day_one:.3f}", f"{model.f1_day_one_binary:.3f}")
    console.print(table)
    console.print(
        f"v{model.version}: {model.n_train} scored comments ({model.labels}), {model.folds}-fold cross-validation, "
        f"the better learned model is {model.kind}; in use now: {result.in_use}; {changed} analyses re-scored"
    )


@app.command()
def analyse(
    words: Annotated[str, typer.Argument(help="The text to analyse (quote it).")],
    as_json: JsonOption = False,
) -> None:
    """Analyse one text now, with the sentiment model in use; nothing is stored."""
    from cxloop.text import service as text
    from cxloop.text.schemas import MAX_TEXT_CHARS

    if not words.strip() or len(words) > MAX_TEXT_CHARS:
        err_console.print(f"the text must have 1 to {MAX_TEXT_CHARS} characters and not only spaces")
        raise typer.Exit(2)
    with database().unit_of_work() as session:
        result = text.analyse_texts([words], scorer=text.current_scorer(session))[0]
    if as_json:
        sys.stdout.write(result.model_dump_json() + "\n")
        return
    console.print(f"language: {result.language or '-'}")
    console.print(f"sentiment: {result.sentiment.label.value} ({result.sentiment.score:+.3f}, {result.model})")
    console.print(f"key phrases: {escape(', '.join(result.key_phrases)) or '-'}")
    console.print(f"masked: {escape(result.masked_text)}")


@app.command()
def status(as_json: JsonOption = False) -> None:
    """Which sentiment model is in use, the latest fit's scores, and how many scored comments there are."""
    from cxloop.text import service as text

    with database().unit_of_work() as session:
        current = text.sentiment_status(session)
    if as_json:
        sys.stdout.write(current.model_dump_json() + "\n")
        return
    console.print(f"in use: {current.in_use}; scored comments analysed: {current.labelled_comments}")
    if current.latest is not None:
        m = current.latest
        console.print(
            f"latest fit v{m.version} at {m.trained_at:%Y-%m-%d %H:%M} UTC on {m.n_train} comments: macro-F1 "
            f"{m.f1_learned:.3f} learned (TF-IDF), "
            f"{'-' if m.f1_minilm is None else f'{m.f1_minilm:.3f}'} learned (MiniLM), {m.f1_day_one:.3f} day one; "
            f"{m.kind} {'chosen' if m.chosen else 'not chosen'}"
        )
