"""Text enrichment: analyse texts (language, sentiment, key phrases, masked personal data), store one analysis per
item and text field, learn the organisation's own sentiment model from scored comments and re-score with it.

Writes only the text domain's tables; reads the collection's texts through `text.queries`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.collection.schemas import ENRICHMENT_COLUMNS, FeedbackRead, ResponseRead
from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from cxloop.storage.text_search import holds_words
from cxloop.text import embedding, language, phrases, pii, queries
from cxloop.text.enums import TEXT_FIELD, ItemKind, SentimentLabel
from cxloop.text.errors import AnalysisNotFound, NotEnoughLabels
from cxloop.text.models import SentimentModel, TextAnalysis
from cxloop.text.schemas import (
    MAX_TEXT_CHARS,
    AnalysisRead,
    SentimentModelRead,
    SentimentRead,
    SentimentStatus,
    TextResult,
)
from cxloop.text.sentiment import labels as weak_labels
from cxloop.text.sentiment import learned, lexicon

log = logging.getLogger(__name__)

BATCH = 1_000
RELEARN_AFTER = timedelta(days=7)
RELEARN_NEW_SHARE = 0.2  # re-learn early when this share of new scored comments arrived (and at least MIN_LABELLED)
EXPORT_COLUMNS = ENRICHMENT_COLUMNS  # filled by export_fields; collection ignores them on import


@dataclass(frozen=True)
class Scorer:
    """A sentiment model by name: scores a batch of (masked) texts."""

    name: str
    score: Callable[[Sequence[str]], learned.Scored]


DAY_ONE = Scorer(lexicon.NAME, learned.day_one)
_loaded: dict[tuple[str, int, datetime], Scorer] = {}  # the model in use, by database, id and time of the fit


def scorer_name(version: int, kind: str) -> str:
    """`learned-3` for a TF-IDF model, `learned-3-minilm` for one on sentence embeddings."""
    return f"learned-{version}" if kind == learned.TFIDF else f"learned-{version}-{kind}"


def current_scorer(session: Session) -> Scorer:
    """The newest fit when it beat the day-one model on the same folds; the day-one lexicon otherwise (also when the
    newest fit is on MiniLM embeddings and the nlp extra is no longer installed: logged)."""
    newest = session.execute(
        select(
            SentimentModel.id,
            SentimentModel.version,
            SentimentModel.kind,
            SentimentModel.chosen,
            SentimentModel.trained_at,
        ).order_by(SentimentModel.id.desc())
    ).first()
    if newest is None or not newest.chosen:
        return DAY_ONE
    if newest.kind == learned.MINILM and not embedding.minilm_installed():
        log.warning(
            "sentiment model %d needs MiniLM (cxloop[nlp]), not installed: the day-one model scores", newest.version
        )
        return DAY_ONE
    key = (str(session.get_bind().engine.url), newest.id, newest.trained_at)
    if key not in _loaded:
        blob = session.scalar(select(SentimentModel.blob).where(SentimentModel.id == newest.id))
        pipeline = learned.loads(blob or b"")
        _loaded.clear()
        _loaded[key] = Scorer(scorer_name(newest.version, newest.kind), lambda texts: learned.predict(pipeline, texts))
    return _loaded[key]


def _masked(texts: Sequence[str]) -> list[pii.Masked]:
    """What every model reads: the text cut at MAX_TEXT_CHARS, personal data masked."""
    return pii.mask_many([t[:MAX_TEXT_CHARS] for t in texts])


def stored_sentiments(session: Session, *, kind: ItemKind, ids: Sequence[int]) -> dict[int, SentimentRead]:
    """The stored sentiment of these items' texts (by id); items not analysed (no text, not yet) are absent. Alert
    rules read it: they wait for the enrichment rather than score inside their transaction (text/enrichment.py)."""
    wanted = sorted(set(ids))
    found: dict[int, SentimentRead] = {}
    for start in range(0, len(wanted), BATCH):
        rows = session.execute(
            select(TextAnalysis.item_id, TextAnalysis.sentiment_label, TextAnalysis.sentiment_score).where(
                TextAnalysis.item_kind == kind.value,
                TextAnalysis.field == TEXT_FIELD[kind],
                TextAnalysis.item_id.in_(wanted[start : start + BATCH]),
            )
        ).all()
        found.update({i: SentimentRead(label=SentimentLabel(label), score=score) for i, label, score in rows})
    return found


def analyse_texts(texts: Sequence[str], *, scorer: Scorer = DAY_ONE) -> list[TextResult]:
    """Analyse each text (cut at MAX_TEXT_CHARS): personal data is masked first, and everything else reads the
    masked text, so nothing found later (a key phrase) can carry an email or a phone number."""
    masked = _masked(texts)
    sentiment = scorer.score([m.text for m in masked])
    return [
        TextResult(
            language=language.detect(m.text),
            sentiment=SentimentRead(label=label, score=score),
            key_phrases=phrases.key_phrases(m.text),
            masked_text=m.text,
            pii=dict(m.found),
            model=scorer.name,
        )
        for m, label, score in zip(masked, sentiment.labels, sentiment.scores, strict=True)
    ]


@dataclass(frozen=True)
class Analysed:
    """Texts analysed and not stored yet: the items as read, and what was found in each. Built with no transaction
    open (MiniLM encodes a few hundred comments a second here), stored by `store_analysed` in a short one."""

    kind: ItemKind
    sources: Sequence[queries.Source]
    results: Sequence[TextResult]
    day_one: Sequence[float]  # the day-one model's score of each, kept for the learning's comparison


def _analyse(kind: ItemKind, sources: Sequence[queries.Source], scorer: Scorer) -> Analysed:
    if not sources:
        return Analysed(kind, [], [], [])
    results = analyse_texts([s.text for s in sources], scorer=scorer)
    day_one = [lexicon.score(r.masked_text) if scorer is not DAY_ONE else r.sentiment.score for r in results]
    return Analysed(kind, sources, results, day_one)


def analyse_items(database: Database, *, kind: ItemKind, ids: Sequence[int]) -> Analysed:
    """Read these items' texts and the model in use in a read transaction, then analyse them with none open."""
    with database.unit_of_work() as session:
        scorer = current_scorer(session)
        sources = queries.sources_of(session, kind=kind, ids=ids)
    return _analyse(kind, sources, scorer)


def store_analysed(session: Session, analysed: Analysed, *, replace: bool = True) -> int:
    """Store what `analyse_items` found, re-checked in this transaction: an item deleted or erased meanwhile, or
    whose text changed, is left out; `replace=False` also leaves out items analysed meanwhile (by the worker), and
    otherwise an earlier analysis is replaced (a replayed event changes nothing). How many were stored."""
    kind, field = analysed.kind, TEXT_FIELD[analysed.kind]
    ids = [s.id for s in analysed.sources]
    now_text = {s.id: s.text for s in queries.sources_of(session, kind=kind, ids=ids)}
    stored = set() if replace else queries.analysed_ids(session, kind=kind, ids=ids)
    keep = [i for i, s in enumerate(analysed.sources) if now_text.get(s.id) == s.text and s.id not in stored]
    if not keep:
        return 0
    kept_ids = [ids[i] for i in keep]
    if replace:
        for start in range(0, len(kept_ids), BATCH):
            session.execute(
                delete(TextAnalysis).where(
                    TextAnalysis.item_kind == kind.value,
                    TextAnalysis.field == field,
                    TextAnalysis.item_id.in_(kept_ids[start : start + BATCH]),
                )
            )
    now = utcnow()
    session.execute(
        insert(TextAnalysis),
        [
            {
                "item_kind": kind.value,
                "item_id": analysed.sources[i].id,
                "field": field,
                "language": r.language,
                "sentiment_label": r.sentiment.label.value,
                "sentiment_score": r.sentiment.score,
                "day_one_score": analysed.day_one[i],
                "key_phrases": r.key_phrases,
                "masked_text": r.masked_text,
                "pii": r.pii,
                "model": r.model,
                "analysed_at": now,
            }
            for i in keep
            for r in (analysed.results[i],)
        ],
    )
    return len(keep)


def enrich_items(session: Session, *, kind: ItemKind, ids: Sequence[int]) -> int:
    """Analyse and store these items' texts inside the caller's transaction (tests, demo data); the worker and
    `cxloop text enrich` analyse with no transaction open (`analyse_items`, `enrich_next`). How many."""
    return store_analysed(
        session, _analyse(kind, queries.sources_of(session, kind=kind, ids=ids), current_scorer(session))
    )


@dataclass(frozen=True)
class Step:
    analysed: int
    last_id: int | None  # None when there is nothing after this batch


def enrich_batch(session: Session, *, kind: ItemKind, after_id: int, everything: bool, limit: int = BATCH) -> Step:
    """Analyse the next `limit` items with text after `after_id` (only the not yet analysed unless `everything`),
    inside the caller's transaction; `enrich_next` is the same with the analysis outside any transaction."""
    sources = queries.next_sources(session, kind=kind, after_id=after_id, limit=limit, pending_only=not everything)
    done = store_analysed(session, _analyse(kind, sources, current_scorer(session)), replace=everything)
    return Step(done, sources[-1].id if len(sources) == limit else None)


def enrich_next(database: Database, *, kind: ItemKind, after_id: int, everything: bool, limit: int = BATCH) -> Step:
    """`cxloop text enrich`'s batch: read the next items in a read transaction, analyse them with none open, store
    them in a short write transaction (the SQLite writer is never held while MiniLM encodes)."""
    with database.unit_of_work() as session:
        scorer = current_scorer(session)
        sources = queries.next_sources(session, kind=kind, after_id=after_id, limit=limit, pending_only=not everything)
    analysed = _analyse(kind, sources, scorer)
    with database.unit_of_work(write=True) as session:
        done = store_analysed(session, analysed, replace=everything)
    return Step(done, sources[-1].id if len(sources) == limit else None)


def count_to_enrich(session: Session, *, kind: ItemKind, everything: bool) -> int:
    return queries.count_sources(session, kind=kind, pending_only=not everything)


def _row_read(row: TextAnalysis, text: str) -> AnalysisRead:
    return AnalysisRead(
        item_kind=ItemKind(row.item_kind),
        item_id=row.item_id,
        field=row.field,
        language=row.language,
        sentiment=SentimentRead(label=SentimentLabel(row.sentiment_label), score=row.sentiment_score),
        key_phrases=list(row.key_phrases),
        masked_text=row.masked_text,
        pii={str(k): int(v) for k, v in row.pii.items()},
        model=row.model,
        text=text,
        analysed_at=row.analysed_at,
    )


def get_analysis(session: Session, *, kind: ItemKind, item_id: int, original: str | None, role: Role) -> AnalysisRead:
    """The stored analysis of one item's text; `text` is `original` for analysts and admins, masked below."""
    row = session.scalar(
        select(TextAnalysis).where(
            TextAnalysis.item_kind == kind.value,
            TextAnalysis.item_id == item_id,
            TextAnalysis.field == TEXT_FIELD[kind],
        )
    )
    if row is None:
        raise AnalysisNotFound(f"{kind.value} {item_id} has no text analysis (no text, or not analysed yet)")
    shown = original if original is not None and reads_as_written(role) else row.masked_text
    return _row_read(row, shown)


def reads_as_written(role: Role) -> bool:
    """Whether `role` reads comments and feedback texts as written (analysts, admins); viewers and agents read them
    with personal data masked, and search them masked (`item_ids_with_words`)."""
    return role.includes(Role.analyst)


def masked_texts(session: Session, *, kind: ItemKind, texts: Mapping[int, str]) -> dict[int, str]:
    """These items' texts (by id) with personal data masked: the stored analysis's masked text when there is one for
    the whole text, else masked now, in one batch (with cxloop[names], spaCy's NER runs on those: about 2 ms a
    comment, docs/text-analytics.md)."""
    ids = [i for i, t in texts.items() if len(t) <= MAX_TEXT_CHARS]
    stored: dict[int, str] = {}
    for start in range(0, len(ids), BATCH):
        rows = session.execute(
            select(TextAnalysis.item_id, TextAnalysis.masked_text).where(
                TextAnalysis.item_kind == kind.value,
                TextAnalysis.field == TEXT_FIELD[kind],
                TextAnalysis.item_id.in_(ids[start : start + BATCH]),
            )
        ).all()
        stored.update((item_id, masked) for item_id, masked in rows)
    missing = [i for i in texts if i not in stored]
    stored.update(zip(missing, (m.text for m in pii.mask_many([texts[i] for i in missing])), strict=True))
    return {i: stored[i] for i in texts}


def mask_shown(
    session: Session, *, role: Role, responses: Sequence[ResponseRead] = (), feedback: Sequence[FeedbackRead] = ()
) -> None:
    """Mask, in place, the comments of `responses` (and their free-text answers) and the texts of `feedback` that
    `role` may not read as written (viewers, agents); analysts and admins keep the original. A feedback item's
    author (a reviewer's or ticket requester's name and email) is personal data of the same kind: masked with its
    text, and taken out of the text where it is repeated ("Thanks, Jane Roe"). Registered with collection's
    `texts_shown` hook; pages and the timeline call it directly."""
    if reads_as_written(role):
        return
    comments = masked_texts(
        session, kind=ItemKind.response, texts={r.id: r.comment for r in responses if r.comment is not None}
    )
    answers = list(
        dict.fromkeys(v for r in responses for v in r.answers.values() if isinstance(v, str) and v != r.comment)
    )
    masked = dict(zip(answers, (m.text for m in pii.mask_many(answers)), strict=True))
    for r in responses:
        original, r.comment = r.comment, comments.get(r.id)
        r.answers = {
            key: (r.comment if value == original else masked[value]) if isinstance(value, str) else value
            for key, value in r.answers.items()
        }
    texts = masked_texts(session, kind=ItemKind.feedback, texts={f.id: f.text for f in feedback})
    for f in feedback:
        f.text = pii.mask_known(texts[f.id], name=f.author, email=f.author_email)
        f.author = pii.NAME_PLACEHOLDER if f.author else f.author
        f.author_email = pii.EMAIL_PLACEHOLDER if f.author_email else f.author_email


def text_for_role(
    text: str | None, *, role: Role, author: str | None = None, author_email: str | None = None
) -> str | None:
    """Free text as `role` may see it: as written for analysts and admins, personal data masked for viewers and
    agents (and the feedback item's `author` and `author_email` wherever the text repeats them). The one place that
    rule lives for a single text: routes that show comments or feedback text call it; `mask_shown` is its batch."""
    if text is None or reads_as_written(role):
        return text
    return pii.mask_known(pii.mask(text).text, name=author, email=author_email)


def themes_for_items(
    session: Session, *, kind: ItemKind, ids: Sequence[int]
) -> dict[int, tuple[list[str], str | None]]:
    """Theme names and the primary theme of each item (text/themes/), for the export columns."""
    from cxloop.text.themes import service as themes  # themes reads sentiment from here: import it when used

    return themes.themes_of_items(session, kind=kind, ids=ids)


def sentiment_mean(session: Session, *, items: Select[str, int]) -> tuple[float | None, int]:
    """The mean sentiment score over the analysed texts of `items` (a select of item kind and item id), and how many
    texts it averages (a response with several comments counts each)."""
    chosen = items.subquery()
    mean, n = session.execute(
        select(func.avg(TextAnalysis.sentiment_score), func.count()).join(
            chosen,
            (TextAnalysis.item_kind == chosen.c[0]) & (TextAnalysis.item_id == chosen.c[1]),
        )
    ).one()
    return (float(mean) if mean is not None else None), int(n)


def item_ids_with_sentiment(*, kind: ItemKind, label: SentimentLabel, within: Select[int] | None = None) -> Select[int]:
    """A select of the ids of the analysed items of `kind` whose text has this sentiment label (among `within`, a
    select of ids, when given): the web app's explorer filters by it."""
    return _analysed_ids(kind, TextAnalysis.sentiment_label == label.value, within)


def item_ids_with_words(*, kind: ItemKind, words: str, within: Select[int] | None = None) -> Select[int]:
    """A select of the ids of the analysed items of `kind` whose masked text contains `words` (any case; among
    `within` when given): the explorer's search for a role that reads texts masked, so that what it finds never
    tells what the masking hid (an email, a name). An item not analysed yet has no stored masked text: not found."""
    return _analysed_ids(kind, holds_words(TextAnalysis.masked_text, words), within)


def masked_search_narrowed_as_written(words: str) -> bool:
    """Whether a search of the masked texts for `words` may first keep only the items whose text as written holds
    them (a cheap test on the item's own row; see `pii.written_wherever_masked`): the matches are the same."""
    return pii.written_wherever_masked(words)


def _analysed_ids(kind: ItemKind, condition: Any, within: Select[int] | None) -> Select[int]:
    query = select(TextAnalysis.item_id).where(
        TextAnalysis.item_kind == kind.value, TextAnalysis.field == TEXT_FIELD[kind], condition
    )
    return query.where(TextAnalysis.item_id.in_(within)) if within is not None else query


def export_fields(session: Session, *, kind: ItemKind, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The enrichment columns of exported rows (EXPORT_COLUMNS) by item id; items not analysed yet are absent."""
    rows = session.execute(
        select(
            TextAnalysis.item_id, TextAnalysis.language, TextAnalysis.sentiment_label, TextAnalysis.sentiment_score
        ).where(
            TextAnalysis.item_kind == kind.value,
            TextAnalysis.field == TEXT_FIELD[kind],
            TextAnalysis.item_id.in_(list(ids)),
        )
    ).all()
    themes = themes_for_items(session, kind=kind, ids=ids)
    fields: dict[int, dict[str, Any]] = {}
    for item_id, lang, label, score in rows:
        names, primary = themes.get(item_id, ([], None))
        fields[item_id] = dict(zip(EXPORT_COLUMNS, (lang, label, round(score, 4), names, primary), strict=True))
    return fields


# --- learning -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Learned:
    model: SentimentModelRead
    in_use: str


@dataclass(frozen=True)
class Fit:
    """A fitted model and its evaluation, not stored yet (fitting runs outside any write transaction)."""

    evaluation: learned.Evaluation
    pipeline: Any
    n_train: int
    labels: dict[str, int]


def training_set(session: Session) -> tuple[list[str], list[str]]:
    """The newest analysed comments that came with a score (at most learned.MAX_TRAIN), and their weak labels."""
    texts: list[str] = []
    labels: list[str] = []
    for source in queries.labelled(session, limit=learned.MAX_TRAIN):
        label = weak_labels.weak_label(nps=source.nps, csat=source.csat, rating=source.rating)
        if label is not None and source.text.strip():
            texts.append(source.text)
            labels.append(label.value)
    return texts, labels


def fit(texts: Sequence[str], labels: Sequence[str], *, embeddings: str = "auto") -> Fit:
    """Cross-validate each learned kind (TF-IDF; and MiniLM embeddings when `embeddings` says so:
    CXLOOP_SENTIMENT_EMBEDDINGS) against the day-one model on the same folds, then fit the better learned kind on
    everything. No database: run it between a read and a write transaction (minutes on 50,000 comments)."""
    counts = {c.value: list(labels).count(c.value) for c in SentimentLabel}
    if len(texts) < learned.MIN_LABELLED or min(counts["negative"], counts["positive"]) < learned.MIN_PER_CLASS:
        raise NotEnoughLabels(
            f"learning needs at least {learned.MIN_LABELLED} analysed comments with a score, "
            f"{learned.MIN_PER_CLASS} of them negative and {learned.MIN_PER_CLASS} positive; there are {len(texts)} "
            f"({counts['negative']} negative, {counts['neutral']} neutral, {counts['positive']} positive)"
        )
    kinds = learned.kinds_for(embeddings)
    with embedding.remembered():  # each comment is embedded once for the folds and the final fit
        evaluation = learned.evaluate(texts, labels, kinds=kinds)
        pipeline = learned.fit(texts, labels, kind=evaluation.best)
    return Fit(evaluation, pipeline, len(texts), counts)


def store_fit(session: Session, *, result: Fit, now: datetime | None = None) -> Learned:
    """Store a fit as the next version; it scores comments from now on when it beat the day-one model.
    Re-scoring the stored analyses is `rescore`, in batches."""
    version = int(session.scalar(select(func.max(SentimentModel.version))) or 0) + 1
    evaluation = result.evaluation
    tfidf, minilm = evaluation.learned[learned.TFIDF], evaluation.learned.get(learned.MINILM)
    row = SentimentModel(
        version=version,
        kind=evaluation.best,
        trained_at=now or utcnow(),
        n_train=result.n_train,
        labels=result.labels,
        folds=evaluation.folds,
        f1_learned=tfidf.three,
        f1_day_one=evaluation.day_one.three,
        f1_learned_binary=tfidf.binary,
        f1_day_one_binary=evaluation.day_one.binary,
        f1_minilm=minilm.three if minilm else None,
        f1_minilm_binary=minilm.binary if minilm else None,
        chosen=evaluation.learned_is_better,
        rescored=0,
        blob=learned.dumps(result.pipeline),
    )
    session.add(row)
    session.flush()
    return Learned(SentimentModelRead.model_validate(row), current_scorer(session).name)


def rescore(database: Database, *, limit: int = 2_000) -> int:
    """Re-score every stored analysis with the model in use now, in batches: each batch is read, scored outside any
    transaction (MiniLM encodes about a hundred comments a second), then written in a short write transaction of its
    own. An analysis replaced or erased meanwhile is left alone (its id is gone). How many changed."""
    changed, after = 0, 0
    while True:
        with database.unit_of_work() as session:
            scorer = current_scorer(session)
            rows = session.execute(
                select(
                    TextAnalysis.id,
                    TextAnalysis.masked_text,
                    TextAnalysis.sentiment_label,
                    TextAnalysis.sentiment_score,
                )
                .where(TextAnalysis.id > after)
                .order_by(TextAnalysis.id)
                .limit(limit)
            ).all()
        if not rows:
            return changed
        scored = scorer.score([r.masked_text for r in rows])
        moved = int(
            sum(
                label.value != r.sentiment_label or abs(score - r.sentiment_score) > 1e-4
                for r, label, score in zip(rows, scored.labels, scored.scores, strict=True)
            )
        )
        table = cast(Table, TextAnalysis.__table__)
        with database.unit_of_work(write=True) as session:
            session.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values(
                    sentiment_label=bindparam("label"), sentiment_score=bindparam("score"), model=bindparam("name")
                ),
                [
                    {"row_id": r.id, "label": label.value, "score": score, "name": scorer.name}
                    for r, label, score in zip(rows, scored.labels, scored.scores, strict=True)
                ],
            )
            session.execute(
                update(SentimentModel)
                .where(SentimentModel.id == select(func.max(SentimentModel.id)).scalar_subquery())
                .values(rescored=SentimentModel.rescored + moved)
            )
        changed += moved
        if len(rows) < limit:
            return changed
        after = rows[-1].id


def should_learn(session: Session, *, now: datetime) -> bool:
    """Weekly, and early when enough new scored comments arrived since the last fit."""
    newest = session.scalar(select(SentimentModel).order_by(SentimentModel.id.desc()).limit(1))
    labelled = queries.count_labelled(session)
    if newest is None:
        return labelled >= learned.MIN_LABELLED
    new = labelled - newest.n_train
    if new <= 0:
        return False
    return now - newest.trained_at >= RELEARN_AFTER or new >= max(
        learned.MIN_LABELLED, RELEARN_NEW_SHARE * newest.n_train
    )


def sentiment_status(session: Session) -> SentimentStatus:
    newest = session.scalar(select(SentimentModel).order_by(SentimentModel.id.desc()).limit(1))
    return SentimentStatus(
        in_use=current_scorer(session).name,
        latest=SentimentModelRead.model_validate(newest) if newest is not None else None,
        labelled_comments=queries.count_labelled(session),
    )
