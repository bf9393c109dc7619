"""The themes' public API: the taxonomy (list, show, rename, merge, split, pin, hide, rules), discovery runs and the
assignment of new comments. Import it as `from cxloop.text.themes import service as themes`. Functions take a
Session, flush, never commit (docs/themes.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Select, delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from cxloop.collection.schemas import NO_FILTERS, ResolvedFilters
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput, NotFound
from cxloop.storage.database import Database
from cxloop.text import item_rows
from cxloop.text import service as text_service
from cxloop.text.queries import Source, latest_sources, sources_of
from cxloop.text.themes import discovery, embedding, nearest, queries, rematch, rules, vectors
from cxloop.text.themes.enums import ItemKind, RunStatus, ThemeKind
from cxloop.text.themes.models import Theme, ThemeAssignment, ThemeRun
from cxloop.text.themes.schemas import (
    DEFAULT_DISCOVERY_ITEMS,
    ImpactRead,
    RuleCreate,
    RunRead,
    ThemeDays,
    ThemeDetail,
    ThemeItem,
    ThemeItemPage,
    ThemeRead,
    ThemeUpdate,
    WeekCount,
)

ASSIGN_MIN = 0.15  # a new comment joins a discovered theme when it carries this much of the theme's profile
TREND_WEEKS = 12
EXAMPLES = 5
INSERT_BATCH = 5_000

Assigned = dict[tuple[ItemKind, int], list[rules.Candidate]]


def require_theme(session: Session, *, theme_id: int) -> Theme:
    theme = session.get(Theme, theme_id)
    if theme is None:
        raise NotFound(f"no theme {theme_id}")
    return theme


def theme_sentiment(session: Session, *, theme_id: int) -> float | None:
    """The mean sentiment score (-1..1) of the theme's analysed items (text enrichment); None before any is analysed."""
    items = select(ThemeAssignment.item_kind, ThemeAssignment.item_id).where(ThemeAssignment.theme_id == theme_id)
    mean, _ = text_service.sentiment_mean(session, items=items)
    return mean


# ---- reading ---------------------------------------------------------------------------------------------------


def _impact(with_theme: dict[int, int], without_theme: dict[int, int]) -> ImpactRead:
    """The theme's score impact; fewer than 30 commented responses on either side is a small sample."""
    d = rules.nps_difference(with_theme, without_theme)
    return ImpactRead(
        nps_with=d.first.value,
        n_with=d.first.n,
        nps_without=d.second.value,
        n_without=d.second.n,
        difference=d.value,
        ci_low=d.ci_low,
        ci_high=d.ci_high,
        significant=d.significant,
        small_sample=min(d.first.n, d.second.n) < rules.SMALL_SAMPLE,
    )


def _without(overall: dict[int, int], with_theme: dict[int, int]) -> dict[int, int]:
    return {score: count - with_theme.get(score, 0) for score, count in overall.items()}


def _reads(session: Session, themes: Sequence[Theme]) -> list[ThemeRead]:
    volumes = queries.volumes(session)
    per_theme, overall = queries.nps_histograms(session)
    now = utcnow()
    since = rules.week_start(now) - timedelta(weeks=TREND_WEEKS - 1)
    instants: dict[int, list[datetime]] = defaultdict(list)
    for theme_id, at in queries.instants_since(session, since=since, theme_ids=[t.id for t in themes]):
        instants[theme_id].append(at)
    analysed = _analysed_items(session)
    found = []
    for theme in themes:
        volume, primary = volumes.get(theme.id, (0, 0))
        with_theme = per_theme.get(theme.id, {})
        trend = rules.weekly(instants.get(theme.id, []), weeks=TREND_WEEKS, now=now)
        found.append(
            ThemeRead(
                id=theme.id,
                name=theme.name,
                kind=ThemeKind(theme.kind),
                key_phrases=theme.key_phrases,
                phrases=theme.phrases,
                user_named=theme.user_named,
                pinned=theme.pinned,
                hidden=theme.hidden,
                merged_into_id=theme.merged_into_id,
                retired=theme.retired_at is not None,
                volume=volume,
                primary_volume=primary,
                share=round(100 * volume / analysed, 2) if analysed else None,
                impact=_impact(with_theme, _without(overall, with_theme)),
                trend=[WeekCount(week=w, count=c) for w, c in trend],
                sentiment=theme_sentiment(session, theme_id=theme.id),
            )
        )
    return found


def _analysed_items(session: Session) -> int:
    """How many items carry at least one theme."""
    items = select(ThemeAssignment.item_kind, ThemeAssignment.item_id).distinct().subquery()
    return session.scalar(select(func.count()).select_from(items)) or 0


def list_themes(
    session: Session, *, include_hidden: bool = False, include_retired: bool = False, include_merged: bool = False
) -> list[ThemeRead]:
    """The taxonomy, discovered and rule themes in one list, the most frequent first."""
    query = select(Theme).order_by(Theme.id)
    if not include_hidden:
        query = query.where(Theme.hidden.is_(False))
    if not include_retired:
        query = query.where(Theme.retired_at.is_(None))
    if not include_merged:
        query = query.where(Theme.merged_into_id.is_(None))
    found = _reads(session, list(session.scalars(query)))
    return sorted(found, key=lambda t: (-t.volume, t.id))


def get_theme(session: Session, *, theme_id: int, examples: int = EXAMPLES) -> ThemeDetail:
    theme = require_theme(session, theme_id=theme_id)
    (read,) = _reads(session, [theme])
    shown = [_item(e) for e in queries.examples(session, theme_id=theme_id, limit=examples)]
    return ThemeDetail(**read.model_dump(), examples=shown)


def _item(example: tuple[ItemKind, int, str, float, datetime]) -> ThemeItem:
    kind, item_id, text, score, at = example
    return ThemeItem(item_kind=kind, item_id=item_id, text=text, score=round(score, 4), at=at)


def theme_items(session: Session, *, theme_id: int, limit: int) -> ThemeItemPage:
    """The items of a theme, most typical first (the highest `limit`), and how many it has."""
    require_theme(session, theme_id=theme_id)
    volume = queries.volumes(session).get(theme_id, (0, 0))[0]
    items = [_item(e) for e in queries.examples(session, theme_id=theme_id, limit=limit)]
    return ThemeItemPage(items=items, total=volume)


def themes_of(session: Session, *, kind: ItemKind, item_id: int) -> tuple[list[str], str | None]:
    """The names of an item's visible themes and of its primary theme (for exports and enrichment)."""
    rows = session.execute(
        select(Theme.name, ThemeAssignment.is_primary)
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(ThemeAssignment.item_kind == kind.value, ThemeAssignment.item_id == item_id, Theme.hidden.is_(False))
        .order_by(ThemeAssignment.is_primary.desc(), ThemeAssignment.score.desc())
    ).all()
    return [r.name for r in rows], next((r.name for r in rows if r.is_primary), None)


def themes_of_items(session: Session, *, kind: ItemKind, ids: Sequence[int]) -> dict[int, tuple[list[str], str | None]]:
    """`themes_of` for many items at once (exports): {item id: (theme names, primary theme name)}."""
    found: dict[int, tuple[list[str], str | None]] = {}
    for start in range(0, len(ids), 1_000):
        rows = session.execute(
            select(ThemeAssignment.item_id, Theme.name, ThemeAssignment.is_primary)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(
                ThemeAssignment.item_kind == kind.value,
                ThemeAssignment.item_id.in_(ids[start : start + 1_000]),
                Theme.hidden.is_(False),
            )
            .order_by(ThemeAssignment.item_id, ThemeAssignment.is_primary.desc(), ThemeAssignment.score.desc())
        )
        for item_id, name, primary in rows:
            names, chosen = found.setdefault(item_id, ([], None))
            names.append(name)
            if primary and chosen is None:
                found[item_id] = (names, name)
    return found


# ---- the taxonomy ----------------------------------------------------------------------------------------------


def _touch(theme: Theme) -> None:
    theme.updated_at = utcnow()


def update_theme(session: Session, *, theme_id: int, data: ThemeUpdate) -> Theme:
    """Rename (kept through later runs), pin or unpin, hide or show. Hiding or showing moves primary themes."""
    theme = require_theme(session, theme_id=theme_id)
    if theme.merged_into_id is not None:
        raise InvalidInput("merged theme", errors=[FieldError("theme_id", f"merged into {theme.merged_into_id}")])
    changes = data.changes()
    if "name" in changes:
        theme.name = changes["name"]
        theme.user_named = True
    if "pinned" in changes:
        theme.pinned = changes["pinned"]
    if "hidden" in changes and changes["hidden"] != theme.hidden:
        theme.hidden = changes["hidden"]
        session.flush()
        _repick_primary(session, _items_of(session, [theme.id]))
    _touch(theme)
    session.flush()
    return theme


def _items_of(session: Session, theme_ids: Sequence[int]) -> set[tuple[ItemKind, int]]:
    rows = session.execute(
        select(ThemeAssignment.item_kind, ThemeAssignment.item_id).where(ThemeAssignment.theme_id.in_(theme_ids))
    )
    return {(ItemKind(k), int(i)) for k, i in rows}


def _repick_primary(session: Session, items: Iterable[tuple[ItemKind, int]]) -> None:
    """Choose the primary theme again for these items (after hiding, merging or splitting)."""
    keys = list(items)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.execute(
            select(ThemeAssignment, Theme.kind, Theme.hidden)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(tuple_(ThemeAssignment.item_kind, ThemeAssignment.item_id).in_([(k.value, i) for k, i in chunk]))
        ).all()
        by_item: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for row in rows:
            by_item[(row[0].item_kind, row[0].item_id)].append(row)
        for found in by_item.values():
            primary = rules.primary_of(
                [rules.Candidate(r[0].theme_id, ThemeKind(r[1]), r[0].score, r[2]) for r in found]
            )
            for r in found:
                r[0].is_primary = r[0].theme_id == primary
    session.flush()


def add_rule(session: Session, *, data: RuleCreate) -> Theme:
    """A user-defined theme, applied at once to the comments discovery would read (and to new ones as they come)."""
    now = utcnow()
    theme = Theme(
        name=data.name,
        kind=ThemeKind.rule.value,
        key_phrases=list(data.phrases),
        phrases=list(data.phrases),
        profile={},
        user_named=True,
        created_at=now,
        updated_at=now,
    )
    session.add(theme)
    session.flush()
    _apply_rules(session, [theme], latest_sources(session, limit=DEFAULT_DISCOVERY_ITEMS))
    return theme


def _apply_rules(session: Session, themes: Sequence[Theme], comments: Sequence[Source]) -> int:
    """Give these rule themes to the comments whose text holds one of their phrases; how many assignments."""
    compiled = [rules.Rule(t.id, rules.compile_rule(t.phrases)) for t in themes]
    rows = [(c.kind, c.id, theme_id, 1.0) for c in comments for theme_id in rules.rule_matches(c.text, compiled)]
    _insert(session, rows)
    _repick_primary(session, {(k, i) for k, i, _, _ in rows})
    return len(rows)


def _insert(
    session: Session, rows: Sequence[tuple[ItemKind, int, int, float]], primary: set[Any] | None = None
) -> None:
    """Add assignments (kind, item id, theme id, score), skipping those an item already has."""
    if not rows:
        return
    now = utcnow()
    existing: set[tuple[str, int, int]] = set()
    if primary is None:  # not a fresh rewrite: some may exist
        theme_ids = sorted({r[2] for r in rows})
        existing = {
            (k, i, t)
            for k, i, t in session.execute(
                select(ThemeAssignment.item_kind, ThemeAssignment.item_id, ThemeAssignment.theme_id).where(
                    ThemeAssignment.theme_id.in_(theme_ids)
                )
            )
        }
    values = [
        {
            "item_kind": k.value,
            "item_id": i,
            "theme_id": t,
            "score": float(s),
            "is_primary": primary is not None and (k, i, t) in primary,
            "assigned_at": now,
        }
        for k, i, t, s in rows
        if (k.value, i, t) not in existing
    ]
    for start in range(0, len(values), INSERT_BATCH):
        session.execute(insert(ThemeAssignment), values[start : start + INSERT_BATCH])


def _final(session: Session, theme: Theme) -> Theme:
    seen = {theme.id}
    while theme.merged_into_id is not None:
        theme = require_theme(session, theme_id=theme.merged_into_id)
        if theme.id in seen:  # pragma: no cover - merges refuse cycles
            break
        seen.add(theme.id)
    return theme


def _combined_profile(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    summed = dict(a)
    for term, weight in b.items():
        summed[term] = summed.get(term, 0.0) + weight
    top = sorted(summed.items(), key=lambda kv: -kv[1])[: discovery.PROFILE_TERMS]
    norm = float(np.sqrt(sum(w * w for _, w in top))) or 1.0
    return {t: round(w / norm, 5) for t, w in top}


def merge_themes(session: Session, *, theme_ids: Sequence[int], into: int) -> Theme:
    """Merge these themes into `into`: their items move to it, their phrases and key phrases join its own, and later
    discovery runs hand what they find of them to `into`."""
    target = require_theme(session, theme_id=into)
    errors = []
    if target.merged_into_id is not None:
        errors.append(FieldError("into", f"theme {into} was merged into {target.merged_into_id}"))
    sources = []
    for position, theme_id in enumerate(dict.fromkeys(theme_ids)):
        if theme_id == into:
            errors.append(FieldError(f"theme_ids.{position}", "a theme cannot be merged into itself"))
            continue
        source = require_theme(session, theme_id=theme_id)
        if source.merged_into_id is not None:
            errors.append(FieldError(f"theme_ids.{position}", f"already merged into {source.merged_into_id}"))
        sources.append(source)
    if errors:
        raise InvalidInput("these themes cannot be merged", errors=errors)
    moved = _items_of(session, [s.id for s in sources])
    for source in sources:
        _move_assignments(session, source_id=source.id, target_id=target.id)
        source.merged_into_id = target.id
        target.key_phrases = list(dict.fromkeys(target.key_phrases + source.key_phrases))[: discovery.KEY_PHRASES]
        target.phrases = rules.normalise_phrases(target.phrases + source.phrases)
        target.profile = _combined_profile(target.profile, source.profile)
        _touch(source)
    session.execute(update(Theme).where(Theme.merged_into_id.in_([s.id for s in sources])).values(merged_into_id=into))
    target.retired_at = None
    _touch(target)
    session.flush()
    _repick_primary(session, moved)
    return target


def _move_assignments(session: Session, *, source_id: int, target_id: int) -> None:
    already = session.execute(
        select(ThemeAssignment.item_kind, ThemeAssignment.item_id).where(ThemeAssignment.theme_id == target_id)
    ).all()
    taken = {(k, i) for k, i in already}
    for assignment in session.scalars(select(ThemeAssignment).where(ThemeAssignment.theme_id == source_id)):
        if (assignment.item_kind, assignment.item_id) in taken:
            session.delete(assignment)
        else:
            assignment.theme_id = target_id
    session.flush()


def split_theme(session: Session, *, theme_id: int, groups: Sequence[Sequence[str]]) -> list[Theme]:
    """Each group of keywords becomes a new rule theme; the theme's items whose text holds one of a group's phrases
    move to it (the first group that matches); the others stay."""
    theme = require_theme(session, theme_id=theme_id)
    if theme.merged_into_id is not None:
        raise InvalidInput("merged theme", errors=[FieldError("theme_id", f"merged into {theme.merged_into_id}")])
    now = utcnow()
    made = []
    for group in groups:
        phrases = rules.normalise_phrases(group)
        child = Theme(
            name=discovery.default_name(phrases),
            kind=ThemeKind.rule.value,
            key_phrases=phrases,
            phrases=phrases,
            profile={},
            user_named=True,
            created_at=now,
            updated_at=now,
        )
        session.add(child)
        made.append(child)
    session.flush()
    compiled = [rules.Rule(c.id, rules.compile_rule(c.phrases)) for c in made]
    items = _items_of(session, [theme.id])
    by_kind: dict[ItemKind, list[int]] = defaultdict(list)
    for kind, item_id in items:
        by_kind[kind].append(item_id)
    moving: list[tuple[ItemKind, int, int, float]] = []
    for kind, ids in by_kind.items():
        for source in sources_of(session, kind=kind, ids=ids):
            hit = rules.rule_matches(source.text, compiled)
            if hit:
                moving.append((kind, source.id, hit[0], 1.0))
    for kind, item_id, _, _ in moving:
        session.execute(
            delete(ThemeAssignment).where(
                ThemeAssignment.theme_id == theme.id,
                ThemeAssignment.item_kind == kind.value,
                ThemeAssignment.item_id == item_id,
            )
        )
    _insert(session, moving)
    _touch(theme)
    session.flush()
    _repick_primary(session, items)
    return made


# ---- discovery -------------------------------------------------------------------------------------------------


def _known(session: Session) -> list[discovery.Known]:
    """What a new run's clusters may match: every discovered theme (retired or not), and the themes merged away,
    which hand what matches them to the theme they were merged into."""
    found = []
    for theme in session.scalars(select(Theme).where(Theme.kind == ThemeKind.discovered.value).order_by(Theme.id)):
        if not theme.profile:
            continue
        final = _final(session, theme) if theme.merged_into_id is not None else theme
        found.append(discovery.Known(final.id, theme.profile, theme.centroid, theme.embedder or ""))
    return found


def discover(
    session: Session,
    *,
    limit: int,
    embedder: str = embedding.LIGHT,
    progress: discovery.Progress | None = None,
    seed: int = 0,
) -> ThemeRun:
    """Find the themes of the newest `limit` response comments and `limit` feedback texts, keep the identity (and the
    user's names, pins and hides) of the themes found again, retire those not found, rewrite the items' themes, and
    match every older item to the new themes. All in the caller's transaction (tests, benchmarks); the CLI and the
    worker cluster and match with none open (text/themes/runs.py)."""
    started = utcnow()
    name, embed = embedding.choose(embedder)
    say = progress or (lambda _: None)
    say("reading comments")
    comments = latest_sources(session, limit=limit)
    matrix, fresh = vectors.of_sample(session, comments, embed=embed)
    found = discovery.discover([c.text for c in comments], vectors=matrix, embedder=name, seed=seed, progress=say)
    run = new_run(session, status=RunStatus.running, embedder=name, limit=limit, at=started)
    apply_discovery(session, run=run, comments=comments, found=found, fresh=fresh)
    while (batch := rematch.next_batch(session, run=run)) is not None:
        known = vectors.kept(session, batch.comments)
        matched = match(batch.kind, batch.comments, live_themes(session), known=known)
        store_rematched(session, run=run, batch=batch, matched=matched)
    rematch.finish(run)
    session.flush()
    return run


def new_run(session: Session, *, status: RunStatus, embedder: str, limit: int, at: datetime) -> ThemeRun:
    """A discovery run not finished yet, its figures 0."""
    run = ThemeRun(
        status=status.value,
        requested_limit=limit,
        started_at=at,
        embedder=embedder,
        items=0,
        themes_found=0,
        kept=0,
        created=0,
        retired=0,
        details={},
    )
    session.add(run)
    session.flush()
    return run


def apply_discovery(
    session: Session,
    *,
    run: ThemeRun,
    comments: Sequence[Source],
    found: discovery.Discovery,
    fresh: Mapping[vectors.Key, vectors.Vector] | None = None,
) -> ThemeRun:
    """Store what a discovery over `comments` found, with the run's figures: the clusters matched to the themes of
    earlier runs, new themes made, those not found retired, the themes of every item of `comments` rewritten
    (items deleted or erased since they were read get none) and the vectors it encoded (`fresh`). The run stays
    running with the items beyond the sample planned (text/themes/rematch.py); `rematch.finish` marks it done once
    they are matched."""
    matched = discovery.match(found.clusters, _known(session), embedder=found.embedder)
    now = utcnow()
    theme_of_cluster: dict[int, int] = {}
    created = 0
    for index, cluster in enumerate(found.clusters):
        theme = session.get(Theme, matched[index]) if index in matched else None
        if theme is None:
            theme = Theme(kind=ThemeKind.discovered.value, name=cluster.name, created_at=now, user_named=False)
            session.add(theme)
            created += 1
        if not theme.pinned and theme.merged_into_id is None:
            if not theme.user_named:
                theme.name = cluster.name
            theme.key_phrases = cluster.key_phrases
            theme.profile = cluster.profile
            theme.centroid = cluster.centroid
            theme.embedder = found.embedder
        theme.retired_at = None
        theme.updated_at = now
        session.flush()
        theme_of_cluster[index] = theme.id
    alive = set(theme_of_cluster.values())
    retired = 0
    for theme in session.scalars(
        select(Theme).where(
            Theme.kind == ThemeKind.discovered.value, Theme.merged_into_id.is_(None), Theme.retired_at.is_(None)
        )
    ):
        if theme.id not in alive and not theme.pinned:
            theme.retired_at = now
            retired += 1
    session.flush()
    unchanged = _rewrite_assignments(session, comments, found, theme_of_cluster, alive)
    if fresh:
        vectors.save(session, [c for c in comments if (c.kind, c.id) in unchanged], fresh)
    run.embedder = found.embedder
    run.items = len(comments)
    run.themes_found = len(found.clusters)
    run.kept = len(found.clusters) - created
    run.created = created
    run.retired = retired
    run.details = {
        "seconds": {k: round(v, 3) for k, v in found.seconds.items()},
        "silhouette": {str(k): round(v, 4) for k, v in sorted(found.silhouette.items())},
    }
    rematch.start(session, run=run, comments=comments)
    session.flush()
    return run


def store_rematched(session: Session, *, run: ThemeRun, batch: rematch.Batch, matched: Matched) -> int:
    """Store the themes of a batch of items beyond a run's sample and move the run's plan past it (one write, so a
    batch is never counted done without its themes); how many items got a theme."""
    stored = store_matched(session, matched)
    rematch.advance(run, batch=batch)
    session.flush()
    return stored


def _rewrite_assignments(
    session: Session,
    comments: Sequence[Source],
    found: discovery.Discovery,
    theme_of_cluster: dict[int, int],
    alive: set[int],
) -> set[tuple[ItemKind, int]]:
    """Every item's themes from this run: its cluster's theme, the rules it matches, and pinned themes no cluster
    matched (by their profile); then each item's primary theme. Only the sample's id range is cleared: older items
    keep their themes until the run matches them again (rematch.py). The items stored: those unchanged since read."""
    for kind in ItemKind:
        ids = [c.id for c in comments if c.kind == kind]
        if ids:
            sample = (ThemeAssignment.item_kind == kind.value) & ThemeAssignment.item_id.between(min(ids), max(ids))
            session.execute(delete(ThemeAssignment).where(sample))
    themes = {t.id: t for t in session.scalars(select(Theme))}
    assigned: Assigned = defaultdict(list)
    for index, cluster in enumerate(found.clusters):
        theme = themes[theme_of_cluster[index]]
        for member, score in zip(cluster.members, cluster.scores, strict=True):
            source = comments[int(member)]
            assigned[(source.kind, source.id)].append(
                rules.Candidate(theme.id, ThemeKind.discovered, float(score), theme.hidden)
            )
    texts = [c.text for c in comments]
    lonely = [t for t in themes.values() if t.pinned and t.kind == ThemeKind.discovered and t.id not in alive]
    _by_profile(assigned, comments, texts, lonely)
    _by_rules(assigned, comments, list(themes.values()))
    unchanged = _unchanged(session, comments)
    _store(session, {item: found for item, found in assigned.items() if item in unchanged})
    return unchanged


def _unchanged(session: Session, comments: Sequence[Source]) -> set[tuple[ItemKind, int]]:
    """The items among `comments` that still exist with the text they were read with."""
    found = set()
    for kind in ItemKind:
        read = {c.id: c.text for c in comments if c.kind == kind}
        found |= {(kind, c.id) for c in sources_of(session, kind=kind, ids=list(read)) if read[c.id] == c.text}
    return found


def _by_rules(assigned: Assigned, comments: Sequence[Source], themes: Iterable[Theme]) -> None:
    """Add the rule themes (not merged away) whose phrases each text holds."""
    compiled = [
        (rules.Rule(t.id, rules.compile_rule(t.phrases)), t.hidden)
        for t in themes
        if t.kind == ThemeKind.rule and t.merged_into_id is None and t.phrases
    ]
    for source in comments:
        for rule, hidden in compiled:
            if rule.matches(source.text):
                assigned[(source.kind, source.id)].append(rules.Candidate(rule.theme_id, ThemeKind.rule, 1.0, hidden))


def _by_profile(assigned: Assigned, comments: Sequence[Source], texts: Sequence[str], themes: Sequence[Theme]) -> None:
    """Add the discovered themes whose term profile these texts carry enough of (the best one per text)."""
    if not themes or not texts:
        return
    scores = discovery.profile_scores(texts, [t.profile for t in themes])
    best = scores.argmax(axis=1)
    for row, column in enumerate(best):
        score = float(scores[row, column])
        if score >= ASSIGN_MIN:
            theme = themes[int(column)]
            source = comments[row]
            assigned[(source.kind, source.id)].append(
                rules.Candidate(theme.id, ThemeKind.discovered, score, theme.hidden)
            )


def _store(session: Session, assigned: Assigned) -> None:
    rows: list[tuple[ItemKind, int, int, float]] = []
    primary: set[tuple[ItemKind, int, int]] = set()
    for (kind, item_id), candidates in assigned.items():
        unique = {c.theme_id: c for c in candidates}
        choice = rules.primary_of(list(unique.values()))
        for c in unique.values():
            rows.append((kind, item_id, c.theme_id, c.score))
        if choice is not None:
            primary.add((kind, item_id, choice))
    _insert(session, rows, primary=primary)
    session.flush()


# ---- new comments (the worker) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Matched:
    """The themes new items get, found with no transaction open (MiniLM encodes them), not stored yet, with the
    vectors encoded on the way (stored with them, text/themes/vectors.py)."""

    kind: ItemKind
    comments: Sequence[Source]
    assigned: Assigned
    encoded: Mapping[vectors.Key, vectors.Vector] = field(default_factory=dict)


def live_themes(session: Session) -> list[Theme]:
    """The themes items can get now (neither merged away nor retired)."""
    return list(session.scalars(select(Theme).where(Theme.merged_into_id.is_(None), Theme.retired_at.is_(None))))


def match(
    kind: ItemKind,
    comments: Sequence[Source],
    themes: Sequence[Theme],
    *,
    known: Mapping[vectors.Key, vectors.Vector] | None = None,
    keep_vectors: bool = False,
) -> Matched:
    """The themes these items get from `themes` (read with `live_themes`), with no transaction needed. Comments are
    encoded (those not in `known`, their stored vectors) when the themes are matched by vectors, or, with
    `keep_vectors`, whenever vectors are kept here: the worker encodes each new comment once, for later discoveries."""
    discovered = [t for t in themes if t.kind == ThemeKind.discovered and t.profile]
    matrix: discovery.Vectors | None = None
    fresh: dict[vectors.Key, vectors.Vector] = {}
    if comments and (nearest.usable(discovered) or (keep_vectors and vectors.wanted())):
        matrix, fresh = vectors.complete(comments, known or {})
    return Matched(kind, comments, _assignments(comments, themes, matrix), fresh)


def match_items(database: Database, *, kind: ItemKind, ids: Sequence[int]) -> Matched:
    """The worker's prepare step: read the items, their stored vectors and the taxonomy, then match them with no
    transaction open (encoding and keeping the vectors of new comments)."""
    with database.unit_of_work() as session:
        comments = sources_of(session, kind=kind, ids=ids)
        known = vectors.kept(session, comments)
        themes = live_themes(session)
        session.expunge_all()
    return match(kind, comments, themes, known=known, keep_vectors=True)


def store_matched(session: Session, matched: Matched) -> int:
    """Store what `match_items` found, re-checked here: items gone or edited meanwhile are left alone, themes merged,
    retired or deleted meanwhile are dropped (and hidden ones read as they are now). Replaces what the items had,
    so a replayed event changes nothing; how many items got a theme."""
    unchanged = _unchanged(session, matched.comments)
    if matched.encoded:
        vectors.save(session, [c for c in matched.comments if (c.kind, c.id) in unchanged], matched.encoded)
    hidden = {t.id: t.hidden for t in live_themes(session)}
    assigned: Assigned = {}
    for item, candidates in matched.assigned.items():
        kept = [replace(c, hidden=hidden[c.theme_id]) for c in candidates if c.theme_id in hidden]
        if item in unchanged and kept:
            assigned[item] = kept
    item_rows.delete_of(session, ThemeAssignment, kind=matched.kind, ids=[i for _, i in unchanged])
    _store(session, assigned)
    return len(assigned)


def assign_items(session: Session, *, kind: ItemKind, ids: Sequence[int]) -> int:
    """`match_items` then `store_matched`, in the caller's transaction (tests, imports of history)."""
    comments = sources_of(session, kind=kind, ids=ids)
    matched = match(kind, comments, live_themes(session), known=vectors.kept(session, comments), keep_vectors=True)
    return store_matched(session, matched)


def _assignments(comments: Sequence[Source], themes: Sequence[Theme], matrix: discovery.Vectors | None) -> Assigned:
    """The themes these comments get from the taxonomy as it stands: the rules they match, and the discovered theme
    nearest to them (by their MiniLM vectors, `matrix`, when the themes were discovered on them and MiniLM is
    installed: the nearest centroid within nearest.MIN_COSINE; else by key terms: the profile they carry most,
    ASSIGN_MIN at least)."""
    assigned: Assigned = defaultdict(list)
    discovered = [t for t in themes if t.kind == ThemeKind.discovered and t.profile]
    if matrix is not None and nearest.usable(discovered):
        chosen, scores = nearest.nearest_of(matrix, [t.centroid or [] for t in discovered])
        for source, column, score in zip(comments, chosen, scores, strict=True):
            if column >= 0:
                theme = discovered[int(column)]
                assigned[(source.kind, source.id)].append(
                    rules.Candidate(theme.id, ThemeKind.discovered, float(score), theme.hidden)
                )
    else:
        _by_profile(assigned, comments, [c.text for c in comments], discovered)
    _by_rules(assigned, comments, themes)
    return assigned


def last_run(session: Session) -> RunRead | None:
    """The newest finished discovery run."""
    query = select(ThemeRun).where(ThemeRun.status == RunStatus.done.value).order_by(ThemeRun.id.desc()).limit(1)
    run = session.scalars(query).first()
    return RunRead.model_validate(run) if run else None


def run_read(run: ThemeRun) -> RunRead:
    return RunRead.model_validate(run)


def daily_mentions(session: Session, *, since: datetime, until: datetime) -> list[ThemeDays]:
    """Each visible theme's mentions per UTC day in [since, until), with how many of them read negative (the anomaly
    scan's theme volume and negativity series, analytics/theme_series.py)."""
    per_theme = queries.daily_mentions(session, since=since, until=until)
    if not per_theme:
        return []
    rows = session.execute(select(Theme.id, Theme.name).where(Theme.id.in_(list(per_theme))))
    names: dict[int, str] = {int(row[0]): str(row[1]) for row in rows}
    return [
        ThemeDays(theme_id=theme_id, name=names[theme_id], days={d: (m, n) for d, (m, n) in days.items()})
        for theme_id, days in sorted(per_theme.items())
        if theme_id in names
    ]


def item_ids(*, theme_id: int, kind: ItemKind) -> Select[int]:
    """A select of the ids of the items of `kind` that carry the theme (the web app's explorer filters by it)."""
    return select(ThemeAssignment.item_id).where(
        ThemeAssignment.theme_id == theme_id, ThemeAssignment.item_kind == kind.value
    )


def top_themes_by_touchpoint(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    within: ResolvedFilters = NO_FILTERS,
    per_touchpoint: int = 3,
) -> dict[int, list[tuple[str, int]]]:
    """Touchpoint id -> its most mentioned visible themes (name, responses) among responses given in [since, until)
    and `within` the page's filters (segment, stage, touchpoint, survey, channel)."""
    found: dict[int, list[tuple[str, int]]] = defaultdict(list)
    mentions = queries.touchpoint_mentions(session, since=since, until=until, within=within)
    for touchpoint_id, _, name, count in mentions:
        found[touchpoint_id].append((name, count))
    return {tp: sorted(rows, key=lambda r: (-r[1], r[0]))[:per_touchpoint] for tp, rows in found.items()}
