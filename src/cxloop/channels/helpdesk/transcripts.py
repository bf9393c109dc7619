"""Turning helpdesk conversations into plain text, and naming the channel they happened on."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime

from cxloop.collection.enums import FeedbackKind

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")
# Helpdesks name their channels in many ways; rules match on these few.
_CHANNELS = {
    "mail": "email",
    "email": "email",
    "web": "web",
    "web_form": "web",
    "web_widget": "web",
    "chat": "chat",
    "messaging": "chat",
    "native_messaging": "chat",
    "messenger": "chat",
    "conversation": "chat",
    "voice": "voice",
    "phone": "voice",
    "phone_call": "voice",
    "call": "voice",
    "api": "api",
    "web_service": "api",
    "sms": "sms",
    "twitter": "social",
    "facebook": "social",
    "whatsapp": "chat",
}


def normalised_channel(value: str | None) -> str | None:
    """'Web Form' -> 'web', 'Mail' -> 'email', 'Voice' -> 'voice'; other names lower-cased with '_' for spaces."""
    if value is None:
        return None
    key = re.sub(r"[\s\-]+", "_", value.strip().lower())
    return _CHANNELS.get(key, key) or None


def conversation_kind(channel: str | None) -> FeedbackKind:
    """Phone calls give call transcripts, email threads emails, everything else chat transcripts."""
    if channel == "voice":
        return FeedbackKind.call_transcript
    if channel in {"email", "web"}:
        return FeedbackKind.email
    return FeedbackKind.chat_transcript


def plain_text(markup: str) -> str:
    """HTML message bodies (Intercom sends `<p>...</p>`) as plain text."""
    text = _BREAK.sub("\n", markup)
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def render(lines: Sequence[tuple[datetime | None, str, str]]) -> str:
    """A transcript: one '[time] author: text' block per message, in the order given."""
    blocks = []
    for at, author, text in lines:
        stamp = f"[{at.strftime('%Y-%m-%d %H:%M')}] " if at is not None else ""
        blocks.append(f"{stamp}{author}: {text}")
    return "\n\n".join(blocks)
