"""Images go with their customer: when customers are deleted, the image files their responses reference are removed
from the data directory once the deletion commits (never before: a rolled-back deletion keeps them).

A customers deletion listener (registered by `cxloop.wiring`) collects the files; only files inside the data
directory's attachment folder are ever removed, whatever a response's metadata claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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


def forget_images(session: Session, *, customer_ids: Sequence[int]) -> None:
    """Deletion listener: note the image files of these customers' responses, to remove after the commit."""
    if _data_dir is None or not customer_ids:
        return
    folder = (_data_dir / FOLDER).resolve()
    doomed: list[Path] = []
    for meta in queries.response_metadata(session, customer_ids=customer_ids):
        for attached in (meta or {}).get("attachments") or []:
            name = attached.get("file") if isinstance(attached, dict) else None
            path = (_data_dir / name).resolve() if isinstance(name, str) else None
            if path is not None and path.parent == folder:
                doomed.append(path)
    if doomed:
        session.info.setdefault(_PENDING, []).extend(doomed)


@event.listens_for(Session, "after_commit")
def _remove_files(session: Session) -> None:
    for path in session.info.pop(_PENDING, ()):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _keep_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit (a commit removed them)
        session.info.pop(_PENDING, None)
