"""The app's background tasks on the event loop (the live stream's poller, the loop-lag watch): one way to stop one."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel the task and wait until it has ended (nothing when there is none)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
