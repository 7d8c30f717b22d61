"""Update processing order: each chat's updates one after another, different chats in parallel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from tgtrainer.bot.running import RunningWork, is_cancel


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Runs updates concurrently except that two updates of one chat never overlap.

    A chat's conversation is a sequence: the second question must see the first answer. The
    one exception is /cancel, which goes ahead of the queue to stop the chat's running work
    (`running`).
    """

    def __init__(self, max_concurrent_updates: int, running: RunningWork | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self.running = running or RunningWork()
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or not isinstance(update, Update) or is_cancel(update):
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock:
                await self.running.run(chat.id, update, coroutine)
        finally:
            self._waiting[chat.id] -= 1
            if not self._waiting[chat.id]:  # forget idle chats so the dict stays small
                del self._waiting[chat.id]
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
