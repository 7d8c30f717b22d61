"""Run a side task (a sign in the chat) for as long as a block of work runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def alongside(side: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `side` while the block runs; cancel it (and wait for it) when the block ends."""
    task = asyncio.create_task(side)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
