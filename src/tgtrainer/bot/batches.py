"""Files sent together, collected into one batch before they are learned.

Telegram delivers an album (several files or photos sent as one) as separate messages sharing a
`media_group_id`, and a user who drops five files on a chat sends five messages within a second.
Each message is added here and the handler returns at once (one chat's updates are handled one
after another, so a handler that waited would hold back the rest of the album); once no file of
the same album, or of the same user's burst, has arrived for `BATCH_SECONDS`, the batch is
handed on in its own task. A failure there goes to the bot's error boundary with the batch's
first update, as a handler's would; the task is the chat's running work (`RunningWork`), so
/cancel stops it and the user is told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update

from tgtrainer.bot.refs import Context
from tgtrainer.bot.running import RunningWork
from tgtrainer.core.teaching import Upload

BATCH_SECONDS = 1.0  # quiet time after the last file before a batch is learned


@dataclass(frozen=True, slots=True)
class Arrival:
    """One file of a batch: the update it came in, its description and Telegram's file id."""

    update: Update
    context: Context
    upload: Upload
    file_id: str
    photo: bool = False  # Telegram's compressed kind: learned for the text OCR reads in it


Handle = Callable[[list[Arrival]], Awaitable[None]]


class Batches:
    def __init__(
        self, handle: Handle, *, wait: float = BATCH_SECONDS, running: RunningWork | None = None
    ) -> None:
        self._handle = handle
        self._wait = wait
        self._running = running
        self._pending: dict[tuple[int, str], list[Arrival]] = {}

    def add(self, arrival: Arrival) -> None:
        """Add a file to its batch (its album, else its sender's burst in that chat)."""
        message = arrival.update.effective_message
        assert message is not None
        user = arrival.update.effective_user
        key = (message.chat.id, message.media_group_id or f"from {user.id if user else 0}")
        waiting = self._pending.get(key)
        if waiting is not None:
            waiting.append(arrival)
            return
        self._pending[key] = [arrival]
        arrival.context.application.create_task(self._collect(key), name="document batch")

    async def _collect(self, key: tuple[int, str]) -> None:
        while True:
            count = len(self._pending[key])
            await asyncio.sleep(self._wait)
            if len(self._pending[key]) == count:
                break
        arrivals = self._pending.pop(key)
        first = arrivals[0]
        try:
            if self._running is None:
                await self._handle(arrivals)
            else:  # stopped by /cancel (or shutdown): `run` tells the user and ends quietly
                await self._running.run(key[0], first.update, self._handle(arrivals))
        except Exception as error:
            await first.context.application.process_error(first.update, error)
