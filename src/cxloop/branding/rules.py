"""Checks for branding values. Pure: no database, no framework."""

from __future__ import annotations

import re

MAX_LOGO_BYTES = 256 * 1024
_COLOUR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# The image formats every mail client and browser shows, known by their first bytes (never by a name or a header:
# SVG is refused because it can carry script).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def normalise_colour(value: str) -> str:
    """`#0B57D0`, `0b57d0` or `#05d` -> `#0b57d0`; ValueError otherwise."""
    match = _COLOUR.match(value.strip())
    if not match:
        raise ValueError("must be a colour like #0b57d0")
    digits = match.group(1).lower()
    return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))


def logo_type(data: bytes) -> str:
    """The logo's media type from its first bytes; ValueError when it is too big or not PNG, JPEG, GIF or WebP."""
    if not data:
        raise ValueError("is empty")
    if len(data) > MAX_LOGO_BYTES:
        raise ValueError(f"must be at most {MAX_LOGO_BYTES // 1024} KB")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    raise ValueError("must be a PNG, JPEG, GIF or WebP image")


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_on(colour: str) -> str:
    """White or near-black, whichever reads better on `colour` (labels of selected buttons)."""
    return "#ffffff" if contrast(colour, "#ffffff") >= contrast(colour, "#1b1f24") else "#1b1f24"
