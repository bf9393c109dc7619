"""Images go with their customer: when customers are deleted, the image files their responses reference are removed
from the data directory once the deletion commits (never before: a rolled-back deletion keeps them).

A customers deletion listener (registered by `cxloop.wiring`) collects the files; only files inside the data
directory's attachment folder are ever removed, whatever a response's metadata claims.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from cxloop.channels.widget import queries
from cxloop.channels.widget.attachments import FOLDER

_PENDING = "cxloop.widget.doomed_images"
_data_dir: Path | None = None


def configure(data_dir: Path) -> None:
    """Where the attachment files live (Settings.data_dir); set by the composition root."""
    global _data_dir
    _data_dir = data_dir


def _files(metadata: Iterable[dict[str, Any] | None]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, attachment entry) of each image file the metadata references inside the attachment folder."""
    if _data_dir is None:
        return
    folder = (_data_dir / FOLDER).resolve()
    for meta in metadata:
        for attached in (meta or {}).get("attachments") or []:
            name = attached.get("file") if isinstance(attached, dict) else None
            path = (_data_dir / name).resolve() if isinstance(name, str) else None
            if path is not None and path.parent == folder:
                yield path, attached


def forget_images(session: Session, *, customer_ids: Sequence[int]) -> None:
    """Deletion listener: note the image files of these customers' responses, to remove after the commit."""
    if not customer_ids:
        return
    doomed = [path for path, _ in _files(queries.response_metadata(session, customer_ids=customer_ids))]
    if doomed:
        session.info.setdefault(_PENDING, []).extend(doomed)


def export_customer_images(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """The image files of a customer's responses, with their bytes in base64 (privacy access requests)."""
    found = []
    for path, attached in _files(queries.response_metadata(session, customer_ids=[customer_id])):
        if path.is_file():
            found.append({**attached, "base64": base64.b64encode(path.read_bytes()).decode("ascii")})
    return {"attachments": found}


def count_customer_images(session: Session, *, customer_id: int) -> dict[str, int]:
    """How many image files go with the customer (the deletion listener removes them once the erasure commits)."""
    files = _files(queries.response_metadata(session, customer_ids=[customer_id]))
    return {"attachments": sum(1 for path, _ in files if path.is_file())}


def image_retention(session: Session, *, before: datetime, action: str, limit: int | None) -> int:  # noqa: ARG001
    """Image files of responses submitted before `before` that still exist: removed (the only action), the rest of
    the response kept. With limit None only counted. Files are not transactional: they go at once."""
    touched = 0
    for path, _ in _files(queries.response_metadata_before(session, before=before)):
        if limit is not None and touched >= limit:
            break
        if path.is_file():
            if limit is not None:
                path.unlink(missing_ok=True)
            touched += 1
    return touched


@event.listens_for(Session, "after_commit")
def _remove_files(session: Session) -> None:
    for path in session.info.pop(_PENDING, ()):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _keep_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit (a commit removed them)
        session.info.pop(_PENDING, None)
