"""Showing a reply while it is written, then sending it in its final form.

Private chats stream with `sendMessageDraft` (an ephemeral preview) and end with real messages;
groups get one message edited at most every `interval` seconds, more messages as the text
outgrows 4096 characters. Streaming is best effort: if Telegram refuses a draft or an edit, or asks
us to slow down, the preview stops or pauses and the final messages still go out. Final messages
are rendered from Markdown to HTML; a part Telegram cannot parse is sent again as plain text.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from tgtrainer.bot.alongside import alongside
from tgtrainer.bot.rate_limit import NO_RETRY
from tgtrainer.bot.render import html_to_plain, render_markdown
from tgtrainer.bot.split import split_html

log = logging.getLogger(__name__)


_draft_ids = itertools.count(1)


def _is_parse_error(error: BadRequest) -> bool:
    return "parse entities" in error.message.lower()


def _is_not_modified(error: BadRequest) -> bool:
    return "not modified" in error.message.lower()


class ReplyWriter:
    """Shows one reply in one chat: `preview(text)` as it grows, then `finish(text)`."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        private: bool,
        interval: float,
        first_delay: float = 0.2,
        reply_to: int | None = None,
        on_sent: Callable[[int], None] | None = None,
    ) -> None:
        """`on_sent` learns the id of every message sent for the reply, as it is sent."""
        self._bot = bot
        self._on_sent = on_sent
        self._chat_id = chat_id
        self._private = private
        self._interval = interval
        self._reply_to = reply_to
        self._draft_id = next(_draft_ids)
        # The first preview waits a moment: an instant answer needs none.
        self._next_preview_at = time.monotonic() + first_delay
        self._streaming = True
        self._shown: list[tuple[int, str]] = []  # group messages already shown: (id, html)

    async def preview(self, text: str) -> None:
        """Show `text` (Markdown, still growing) if the last preview is old enough.

        A 429 is not waited out inside the generation loop (NO_RETRY): it pauses the previews.
        """
        now = time.monotonic()
        if not self._streaming or now < self._next_preview_at or not text.strip():
            return
        self._next_preview_at = now + self._interval
        parts = split_html(render_markdown(text))
        try:
            if self._private:
                await self._bot.send_message_draft(
                    self._chat_id, self._draft_id, parts[-1], parse_mode=ParseMode.HTML, **NO_RETRY
                )
            else:
                await self._show_in_group(parts, NO_RETRY)
        except RetryAfter as error:
            self._next_preview_at = now + _seconds(error.retry_after)
        except TelegramError as error:
            log.info("streaming stopped in chat %s: %s", self._chat_id, error)
            self._streaming = False

    async def finish(self, text: str, *, buttons: InlineKeyboardMarkup | None = None) -> list[int]:
        """Send the whole reply; returns the ids of the messages that show it, in order.

        `buttons` go under the last message (a split reply keeps them at its end)."""
        parts = split_html(render_markdown(text))
        if not self._private and self._shown and self._streaming:
            try:
                return await self._show_in_group(parts, {}, buttons)
            except TelegramError as error:
                log.info("final edit refused in chat %s, sending anew: %s", self._chat_id, error)
                await self._delete_shown()
        last = len(parts) - 1
        return [
            await self._send(
                part,
                reply=index == 0,
                extra={"reply_markup": buttons} if index == last and buttons else None,
            )
            for index, part in enumerate(parts)
        ]

    async def fail(self, sentence: str) -> None:
        """Tell the user why there is no answer, in place of any partial one."""
        await self._delete_shown()
        await self._bot.send_message(
            self._chat_id, sentence, reply_parameters=self._reply_parameters()
        )

    async def discard(self) -> None:
        """Take back any partial reply shown (the answer was stopped)."""
        await self._delete_shown()

    async def _show_in_group(
        self,
        parts: list[str],
        extra: dict[str, Any],
        buttons: InlineKeyboardMarkup | None = None,
    ) -> list[int]:
        last = len(parts) - 1
        for index, part in enumerate(parts):
            markup = buttons if index == last else None
            with_markup = {**extra, "reply_markup": markup} if markup else extra
            if index < len(self._shown):
                message_id, shown = self._shown[index]
                if shown != part:
                    await self._edit(message_id, part, with_markup)
                    self._shown[index] = (message_id, part)
                elif markup is not None:
                    await self._bot.edit_message_reply_markup(
                        self._chat_id, message_id, reply_markup=markup
                    )
            else:
                message_id = await self._send(part, reply=index == 0, extra=with_markup)
                self._shown.append((message_id, part))
        for message_id, _ in self._shown[len(parts) :]:
            await self._bot.delete_message(self._chat_id, message_id)
        del self._shown[len(parts) :]
        return [message_id for message_id, _ in self._shown]

    async def _send(self, html: str, *, reply: bool, extra: dict[str, Any] | None = None) -> int:
        parameters = self._reply_parameters() if reply else None
        try:
            message: Message = await self._bot.send_message(
                self._chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_parameters=parameters,
                **(extra or {}),
            )
        except BadRequest as error:
            if not _is_parse_error(error):
                raise
            log.warning("Telegram could not parse a reply part, sent as plain text: %s", error)
            message = await self._bot.send_message(
                self._chat_id, html_to_plain(html), reply_parameters=parameters, **(extra or {})
            )
        if self._on_sent is not None:
            self._on_sent(message.message_id)
        return message.message_id

    async def _edit(self, message_id: int, html: str, extra: dict[str, Any]) -> None:
        try:
            await self._bot.edit_message_text(
                html, self._chat_id, message_id, parse_mode=ParseMode.HTML, **extra
            )
        except BadRequest as error:
            if _is_not_modified(error):
                return
            if not _is_parse_error(error):
                raise
            await self._bot.edit_message_text(
                html_to_plain(html), self._chat_id, message_id, **extra
            )

    async def _delete_shown(self) -> None:
        for message_id, _ in self._shown:
            try:
                await self._bot.delete_message(self._chat_id, message_id)
            except TelegramError as error:
                log.info("could not delete a preview in chat %s: %s", self._chat_id, error)
        self._shown.clear()

    def _reply_parameters(self) -> ReplyParameters | None:
        if self._private or self._reply_to is None:
            return None
        return ReplyParameters(self._reply_to, allow_sending_without_reply=True)


@contextlib.asynccontextmanager
async def still_working(
    writer: ReplyWriter, said: Callable[[], bool], patience: float, sign: str
) -> AsyncIterator[None]:
    """Preview `sign` if nothing was `said` yet after `patience` seconds of the body."""

    async def show() -> None:
        await asyncio.sleep(patience)
        if not said():
            await writer.preview(sign)

    async with alongside(show()):
        yield


def _seconds(retry_after: float | Any) -> float:
    return (
        retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)
    )
