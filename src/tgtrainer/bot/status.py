"""A message that shows how a long job goes, and then how it ended.

A handler sends it, sets progress lines (from any thread) that are shown by editing it about once
a second, and finishes it with the outcome. When the job fails instead, the error boundary
(`bot.boundary.ErrorBoundary.on_error`) finishes it with the error's sentence: the user sees one
message about the job, never a second one about its failure.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackContext

PROGRESS_INTERVAL = 1.0  # seconds between edits of the message
_UNFINISHED = "unfinished status messages"  # chat_data key: update id -> its status message

AnyContext = CallbackContext[Any, Any, Any, Any]


class StatusMessage:
    def __init__(
        self, message: Message, failure: str, unfinished: dict[int, StatusMessage], update_id: int
    ) -> None:
        self.message = message
        self.failure = failure
        """What the user is told when the job fails with an error that is not theirs to know."""
        self.line = ""
        self._shown = ""
        self._unfinished = unfinished
        self._update_id = update_id

    @classmethod
    async def send(
        cls, update: Update, context: AnyContext, text: str, *, failure: str
    ) -> StatusMessage:
        """Reply `text` to the update's message; the error boundary finishes it if the update
        fails before `finish`."""
        assert update.effective_message is not None
        message = await update.effective_message.reply_text(text)
        unfinished = _unfinished(context)
        status = cls(message, failure, unfinished, update.update_id)
        unfinished[update.update_id] = status
        return status

    @classmethod
    def adopt(
        cls, update: Update, context: AnyContext, message: Message, *, failure: str
    ) -> StatusMessage:
        """Make the bot's own `message` (one whose button was pressed) the status message."""
        unfinished = _unfinished(context)
        status = cls(message, failure, unfinished, update.update_id)
        unfinished[update.update_id] = status
        return status

    def set(self, line: str) -> None:
        """The progress line to show next (safe to call from a worker thread)."""
        self.line = line

    @contextlib.asynccontextmanager
    async def showing_progress(self) -> AsyncIterator[None]:
        """Show the progress lines while the body runs."""
        shower = asyncio.create_task(self._show_until_cancelled())
        try:
            yield
        finally:
            shower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await shower

    async def finish(self, text: str) -> None:
        """Show how the job ended."""
        self._unfinished.pop(self._update_id, None)
        await self.message.edit_text(text)

    async def _show_until_cancelled(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            if self.line and self.line != self._shown:
                self._shown = self.line
                with contextlib.suppress(TelegramError):
                    await self.message.edit_text(self.line)


def unfinished_status(update: Update, context: AnyContext) -> StatusMessage | None:
    """The status message the handler of `update` left unfinished because it failed; once."""
    return _unfinished(context).pop(update.update_id, None)


def _unfinished(context: AnyContext) -> dict[int, StatusMessage]:
    if context.chat_data is None:  # no chat: nothing to remember it by, nor to show it in
        return {}
    found: dict[int, StatusMessage] = context.chat_data.setdefault(_UNFINISHED, {})
    return found
