"""Update processing order: each chat's updates one after another, different chats in parallel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from tgtrainer.bot.running import RunningWork, is_cancel
from tgtrainer.errors import UserFacingError

log = logging.getLogger(__name__)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Runs updates concurrently except that two updates of one chat never overlap.

    A chat's conversation is a sequence: the second question must see the first answer. The
    one exception is /cancel, which goes ahead of the queue to stop the chat's running work
    (`running`). `on_arrival` sees each update as it arrives, before it waits for its chat's
    turn (to store it: a crash while it waits must not lose it). Work that is not an update
    (answering the questions left unanswered by a crash) takes its chat's turn with `chat_turn`.
    """

    def __init__(
        self,
        max_concurrent_updates: int,
        running: RunningWork | None = None,
        on_arrival: Callable[[Update], None] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.running = running or RunningWork()
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._on_arrival = on_arrival

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or not isinstance(update, Update) or is_cancel(update):
            await coroutine
            return
        if self._on_arrival is not None:
            try:
                self._on_arrival(update)
            except UserFacingError as error:  # told once, by the handler that meets it again
                log.info("update %s: not stored on arrival: %r", update.update_id, error)
            except Exception:  # the update is still handled; only its early record is missing
                log.exception("update %s: could not be stored on arrival", update.update_id)
        async with self.chat_turn(chat.id):
            await self.running.run(chat.id, update, coroutine)

    @contextlib.asynccontextmanager
    async def chat_turn(self, chat_id: int) -> AsyncIterator[None]:
        """The block runs when no update of the chat is being handled, and holds the others."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[chat_id] -= 1
            if not self._waiting[chat_id]:  # forget idle chats so the dict stays small
                del self._waiting[chat_id]
                del self._locks[chat_id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
