"""The work each chat is doing now, so that it can be stopped: by its user (/cancel) or by the
bot shutting down.

`PerChatUpdateProcessor` runs every update of a chat through `RunningWork.run`; the work is the
update's whole handling (an answer, a transcription, a document being learned). Stopping it
cancels its task; the handler sees `asyncio.CancelledError` at its next await (a model call,
a download, a worker thread's result) and the user is told by `on_stopped`, in place of the
answer. A /cancel message itself never waits behind the work it stops (see `is_cancel`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

log = logging.getLogger(__name__)
CANCEL_COMMAND = "cancel"
_CANCEL = re.compile(rf"^/{CANCEL_COMMAND}(?:@\w+)?(?:\s|$)", re.IGNORECASE)
CANCELLED = "Stopped, as you asked."
SHUTTING_DOWN = (
    "I had to stop this answer: the bot is restarting. Send your message again in a minute."
)

Stopped = Callable[[Update, str], Awaitable[None]]
"""Tells the user of `update` the sentence saying why its work stopped."""


def is_cancel(update: object) -> bool:
    """Is this update a /cancel command (which must not wait in its chat's queue)?"""
    message = update.effective_message if isinstance(update, Update) else None
    return message is not None and bool(message.text and _CANCEL.match(message.text))


@dataclass(slots=True)
class _Work:
    update: Update
    user_id: int | None
    task: asyncio.Future[Any]
    reason: str | None = None  # the sentence, once stopped on purpose
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # and its user told


class RunningWork:
    """At most one piece of work per chat (its updates run one after another)."""

    def __init__(self) -> None:
        self._by_chat: dict[int, _Work] = {}
        self._on_stopped: Stopped | None = None

    def on_stopped(self, tell: Stopped) -> None:
        """Who tells the user their work was stopped (set once the handlers exist)."""
        self._on_stopped = tell

    async def run(self, chat_id: int, update: Update, coroutine: Awaitable[Any]) -> None:
        """Await `coroutine` as the chat's work; stopped on purpose, it ends quietly after the
        user was told."""
        user = update.effective_user
        work = _Work(update, user.id if user else None, asyncio.ensure_future(coroutine))
        self._by_chat[chat_id] = work
        try:
            await work.task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if work.reason is None or (current is not None and current.cancelling()):
                raise  # not ours to swallow: the caller itself is being cancelled
            log.info("update %s: stopped (%s)", update.update_id, work.reason)
            if self._on_stopped is not None:
                await self._on_stopped(update, work.reason)
        finally:
            if self._by_chat.get(chat_id) is work:
                del self._by_chat[chat_id]
            work.ended.set()

    def cancel(self, chat_id: int, user_id: int) -> bool:
        """Stop `user_id`'s work in this chat; False when they have none running."""
        work = self._by_chat.get(chat_id)
        if work is None or work.user_id != user_id or work.task.done():
            return False
        return self._stop(work, CANCELLED)

    async def stop_all(self, grace: float) -> int:
        """Let the running work finish for up to `grace` seconds, then stop what is left (its
        users are told) and wait until it has ended; how many were stopped."""
        running = list(self._by_chat.values())
        if running:
            await asyncio.wait([work.task for work in running], timeout=grace)
        left = [work for work in running if not work.task.done()]
        for work in left:
            self._stop(work, SHUTTING_DOWN)
        if left:
            await asyncio.wait(
                [asyncio.create_task(work.ended.wait()) for work in left], timeout=grace
            )
        return len(left)

    @staticmethod
    def _stop(work: _Work, reason: str) -> bool:
        work.reason = reason
        work.task.cancel()
        return True
