"""'typing...' in the chat for as long as some work runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

from tgtrainer.bot.alongside import alongside
from tgtrainer.bot.rate_limit import NO_RETRY

log = logging.getLogger(__name__)
REFRESH_SECONDS = 4.5  # Telegram shows an action for 5 seconds
FIRST_DELAY_SECONDS = 0.3
"""An answer quicker than this needs no "typing...": one Bot API call saved per fast reply."""


@contextlib.asynccontextmanager
async def chat_action(
    bot: Bot,
    chat_id: int,
    action: str = ChatAction.TYPING,
    first_delay: float = FIRST_DELAY_SECONDS,
) -> AsyncIterator[None]:
    async def keep_showing() -> None:
        await asyncio.sleep(first_delay)
        while True:
            try:
                await bot.send_chat_action(chat_id, action, **NO_RETRY)
            except TelegramError as error:  # cosmetic: never let it fail the reply
                log.debug("chat action refused in chat %s: %s", chat_id, error)
            await asyncio.sleep(REFRESH_SECONDS)

    async with alongside(keep_showing()):
        yield
