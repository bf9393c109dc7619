"""The worker's enrichment of newly received items, in one step: the analysis of their text (language, sentiment, key
phrases, masked personal data; text/service.py) and the themes the taxonomy gives it (text/themes/), both worked out
with no transaction open (MiniLM may encode), then stored together in one short write transaction that also emits
`response.enriched` / `feedback.enriched` with every id of the received batch, analysed or not (no text, edited or
erased meanwhile). Alert rules on sentiment or themes are evaluated on that event, so they read stored analyses
only and never score inside a transaction (docs/alerts.md).

An analysis that keeps failing gives up at its GIVE_UP_AT-th attempt: the items are analysed one by one and those
that still fail are left without analysis (logged; `cxloop text enrich` analyses them later), so the event still
goes out and the rules waiting for it are decided.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cxloop.jobs import outbox
from cxloop.jobs.events import FEEDBACK_ENRICHED, RESPONSE_ENRICHED
from cxloop.storage.database import Database
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from cxloop.text.themes import service as themes

log = logging.getLogger(__name__)

# Below the relay's max_attempts (8), so the event goes out well before the delivery would be dead; the two retries
# before it (2 s and 4 s of backoff) are for failures that pass (the database restarting).
GIVE_UP_AT = 3

ENRICHED_EVENT = {
    ItemKind.response: (RESPONSE_ENRICHED, "response_ids"),
    ItemKind.feedback: (FEEDBACK_ENRICHED, "feedback_ids"),
}


@dataclass(frozen=True)
class Enriched:
    """What the prepare step found for one received batch, not stored yet."""

    kind: ItemKind
    ids: Sequence[int]  # every id of the batch: the enriched event names them all
    analysed: text.Analysed
    matched: themes.Matched


def _prepare(database: Database, kind: ItemKind, ids: Sequence[int]) -> Enriched:
    return Enriched(
        kind,
        ids,
        text.analyse_items(database, kind=kind, ids=ids),
        themes.match_items(database, kind=kind, ids=ids),
    )


def prepare(database: Database, *, kind: ItemKind, ids: Sequence[int], attempt: int) -> Enriched:
    """Analyse and match these items with no transaction open (each part reads in a read transaction of its own).
    A failure is raised (the relay retries) until attempt GIVE_UP_AT, which leaves the failing items out instead."""
    try:
        return _prepare(database, kind, ids)
    except Exception:
        if attempt < GIVE_UP_AT:
            raise
        log.exception("enriching %d %s items failed %d times: analysing them one by one", len(ids), kind, attempt)
    parts: list[Enriched] = []
    for item_id in sorted(set(ids)):
        try:
            parts.append(_prepare(database, kind, [item_id]))
        except Exception:
            log.exception("%s %d is left without text analysis: its analysis fails", kind, item_id)
    return Enriched(
        kind,
        ids,
        text.Analysed(
            kind,
            [s for p in parts for s in p.analysed.sources],
            [r for p in parts for r in p.analysed.results],
            [d for p in parts for d in p.analysed.day_one],
        ),
        themes.Matched(
            kind,
            [c for p in parts for c in p.matched.comments],
            {item: found for p in parts for item, found in p.matched.assigned.items()},
        ),
    )


def store(session: Session, enriched: Enriched) -> int:
    """Store the analyses and themes (each re-checked against the items as they are now) and emit the enriched
    event; how many analyses were stored. A replayed batch stores the same again and emits another event, which
    decides nothing twice (an alert is unique per rule and item)."""
    stored = text.store_analysed(session, enriched.analysed)
    themes.store_matched(session, enriched.matched)
    name, key = ENRICHED_EVENT[enriched.kind]
    outbox.emit(session, name, {key: list(enriched.ids)})
    return stored
