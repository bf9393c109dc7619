"""The effective channel settings for a public webhook request: read in the thread pool, never on the event loop."""

from __future__ import annotations

from fastapi import Request

from cxloop.channels.configuration import service as configuration
from cxloop.core.config import Settings
from cxloop.storage.deps import get_async_database


async def effective_settings(request: Request) -> Settings:
    """The app's settings with the channel settings an admin stored over the environment's."""
    settings: Settings = request.app.state.settings
    return await get_async_database(request).read(lambda session: configuration.effective(session, settings))
