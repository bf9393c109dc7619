"""Images attached to widget feedback (a screenshot or a photo): checked by their first bytes, kept as files.

Files live in the data directory under a random name and are referenced from the response's metadata; the database
never holds them. What the browser claims (file name, content type) is ignored: only the magic bytes decide.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from cxloop.channels.widget.errors import InvalidAttachment
from cxloop.core.errors import FieldError

MAX_IMAGE_BYTES = 2 * 1024 * 1024
FOLDER = "widget-attachments"
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


@dataclass(frozen=True)
class StoredImage:
    path: Path
    name: str  # relative to the data directory, as stored in the response metadata
    content_type: str
    size: int

    def metadata(self) -> dict[str, object]:
        return {"file": self.name, "type": self.content_type, "bytes": self.size}


def image_type(data: bytes) -> tuple[str, str] | None:
    """(content type, file extension) of a PNG, JPEG, GIF or WebP image, judged by its first bytes; else None."""
    for magic, content_type, extension in _SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def store_image(data: bytes, *, data_dir: Path, field: str = "image") -> StoredImage:
    """Write an accepted image under a random name; InvalidAttachment for anything else.

    The caller checks the size first (HTTP 413 is decided before the body is read)."""
    found = image_type(data)
    if found is None:
        raise InvalidAttachment(
            "the attachment is not an image; nothing was stored",
            errors=[FieldError(field, "must be a PNG, JPEG, GIF or WebP image")],
        )
    content_type, extension = found
    folder = data_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{extension}"
    path = folder / name
    path.write_bytes(data)
    return StoredImage(path=path, name=f"{FOLDER}/{name}", content_type=content_type, size=len(data))


def discard(image: StoredImage | None) -> None:
    """Remove a stored image whose response was not stored (bad answers, a resend of a stored submission)."""
    if image is not None:
        image.path.unlink(missing_ok=True)
