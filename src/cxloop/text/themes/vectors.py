"""Stored sentence vectors: each comment is embedded once and its vector kept (text_vectors), so theme discovery and
the matching of comments to themes read vectors instead of encoding every comment again. MiniLM encodes about 420
comments a second on two quiet cores (fewer under load): a discovery over 100,000 comments would spend about four
minutes encoding them, and 20-40 seconds on everything else once their vectors are stored (docs/benchmarks.md,
"Themes").

Vectors are stored when MiniLM is installed (`cxloop[nlp]`): the worker's enrichment encodes each new comment as it
arrives (text/themes/service.py `match`), and a discovery run or the matching of older comments stores those it had
to encode. What is embedded is the text discovery clusters (`discovery.clean`); a vector whose item's text changed
since is never used (its digest no longer matches) and is replaced. Erasure deletes a person's vectors with their
themes (text/themes/privacy.py), and a comment's vector goes with the comment (retention, a deleted customer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cxloop.text import item_rows
from cxloop.text.queries import Source
from cxloop.text.themes import discovery, embedding
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.models import CommentVector

BATCH = 1_000  # ids per IN (...) list
Key = tuple[ItemKind, int]
Vector = np.ndarray


def wanted() -> bool:
    """Whether vectors are encoded and stored here: MiniLM is installed."""
    return embedding.minilm_installed()


def digest(text: str) -> str:
    """The text's fingerprint (16 hex digits of BLAKE2b): which text a stored vector was encoded from."""
    return hashlib.blake2b(discovery.clean(text).encode(), digest_size=8).hexdigest()


def _pack(vector: Vector) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def _unpack(blob: bytes) -> Vector:
    vector = np.frombuffer(blob, dtype="<f2").astype(np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)  # float16 rounding: back to a unit vector


def stored(session: Session, comments: Sequence[Source], *, embedder: str = embedding.MINILM) -> dict[Key, Vector]:
    """The stored vectors of these comments that were encoded from their text as it is now, by item."""
    found: dict[Key, Vector] = {}
    for kind in ItemKind:
        wanted_digest = {c.id: digest(c.text) for c in comments if c.kind == kind}
        ids = sorted(wanted_digest)
        if not ids:
            continue
        # A discovery sample is the newest items: one range read when the ids are dense, else lists of ids.
        ranges = [CommentVector.item_id.between(ids[0], ids[-1])] if ids[-1] - ids[0] < 2 * len(ids) else None
        for where in ranges or [CommentVector.item_id.in_(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)]:
            rows = session.execute(
                select(CommentVector.item_id, CommentVector.digest, CommentVector.vector).where(
                    CommentVector.item_kind == kind.value, CommentVector.embedder == embedder, where
                )
            )
            found.update({(kind, i): _unpack(b) for i, mark, b in rows if mark == wanted_digest.get(i)})
    return found


def kept(session: Session, comments: Sequence[Source]) -> dict[Key, Vector]:
    """The comments' stored vectors where vectors are kept here (MiniLM installed), else none."""
    return stored(session, comments) if wanted() and comments else {}


def of_sample(
    session: Session, comments: Sequence[Source], *, embed: Callable[[Sequence[str]], np.ndarray] | None
) -> tuple[np.ndarray | None, dict[Key, Vector]]:
    """A discovery sample's vectors for a sentence embedder (`embed`; None for the light one, which has none): the
    stored ones read, the others encoded by `embed` now; and those encoded, for `apply_discovery` to store."""
    if embed is None:
        return None, {}
    return complete(comments, kept(session, comments), embed=embed)


def complete(
    comments: Sequence[Source],
    known: Mapping[Key, Vector],
    *,
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> tuple[np.ndarray, dict[Key, Vector]]:
    """Every comment's vector, one row each in order: the `known` ones as they are, the others encoded now (by
    `embed`, MiniLM by default); and the ones encoded now, by item, for `save`."""
    missing = [c for c in comments if (c.kind, c.id) not in known]
    encoded = (embed or embedding.minilm)([discovery.clean(c.text) for c in missing]) if missing else np.zeros(0)
    fresh = {(c.kind, c.id): np.asarray(v, dtype=np.float32) for c, v in zip(missing, encoded, strict=True)}
    if not comments:
        return np.zeros((0, embedding.DIMENSIONS), dtype=np.float32), fresh
    matrix = np.stack([known.get((c.kind, c.id), fresh.get((c.kind, c.id))) for c in comments]).astype(np.float32)
    return matrix, fresh


def save(
    session: Session,
    comments: Sequence[Source],
    vectors: Mapping[Key, Vector],
    *,
    embedder: str = embedding.MINILM,
) -> int:
    """Store the vectors of these comments (as read: the caller re-checked that their text is unchanged), replacing
    what the items had; how many."""
    rows = [(c, vectors[(c.kind, c.id)]) for c in comments if (c.kind, c.id) in vectors]
    for kind in ItemKind:
        item_rows.delete_of(session, CommentVector, kind=kind, ids=sorted({c.id for c, _ in rows if c.kind == kind}))
    unique = {(c.kind, c.id): (c, v) for c, v in rows}
    if unique:
        session.execute(
            insert(CommentVector),
            [
                {
                    "item_kind": c.kind.value,
                    "item_id": c.id,
                    "embedder": embedder,
                    "digest": digest(c.text),
                    "vector": _pack(v),
                }
                for c, v in unique.values()
            ],
        )
    return len(unique)
