"""On start: clear the temporary folder, tell about interrupted work, answer what a crash left
unanswered. What is recoverable, and how, is `core.recovery`'s decision; this only speaks
Telegram for it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path

from telegram import Bot, ReplyParameters
from telegram.error import TelegramError

from tgtrainer.bot.handlers import Handlers
from tgtrainer.bot.updates import PerChatUpdateProcessor
from tgtrainer.core.recovery import Interrupted, Recovery, Unanswered

log = logging.getLogger(__name__)


def clear_temporary_files(folder: Path) -> None:
    """Empty the bot's own temporary folder (files a crash left behind), then make it."""
    if folder.exists():
        left = sum(1 for _ in folder.iterdir())
        if left:
            log.info("removing %d temporary file(s) left by an earlier run", left)
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


async def start_recovery(
    bot: Bot, handlers: Handlers, recovery: Recovery, processor: PerChatUpdateProcessor
) -> list[asyncio.Task[None]]:
    """Start the recovery tasks; when this returns, each chat with questions to answer is held
    by its task, so the chat's new updates wait until its old questions are answered."""
    tasks = [asyncio.create_task(_tell_interrupted(bot, recovery.interrupted()))]
    for chat_id, questions in recovery.unanswered().items():
        log.info("chat %s: answering %d message(s) left unanswered", chat_id, len(questions))
        tasks.append(
            asyncio.create_task(_answer_chat(bot, handlers, recovery, processor, questions))
        )
    await asyncio.sleep(0)  # each task takes its chat's turn before any update can
    return tasks


async def _answer_chat(
    bot: Bot,
    handlers: Handlers,
    recovery: Recovery,
    processor: PerChatUpdateProcessor,
    questions: list[Unanswered],
) -> None:
    async with processor.chat_turn(questions[0].chat.id):
        for question in questions:
            log_id = f"chat {question.chat.id} message {question.message_id} (recovered)"
            try:
                for message_id in question.shown:
                    with contextlib.suppress(TelegramError):
                        await bot.delete_message(question.chat.id, message_id)
                recovery.withdrawn(question)
                await handlers.answer_message(
                    bot,
                    question.chat,
                    question.user,
                    question.message_id,
                    question.text,
                    log_id=log_id,
                )
            except Exception:  # left unanswered: the next start tries again, in its window
                log.exception("%s: could not be answered", log_id)


async def _tell_interrupted(bot: Bot, interrupted: list[Interrupted]) -> None:
    for work in interrupted:
        try:
            if work.status_message_id is not None:
                await bot.edit_message_text(work.sentence, work.chat_id, work.status_message_id)
                continue
            reply = (
                ReplyParameters(work.message_id, allow_sending_without_reply=True)
                if work.message_id is not None
                else None
            )
            await bot.send_message(work.chat_id, work.sentence, reply_parameters=reply)
        except TelegramError as error:
            log.warning("chat %s: could not tell about interrupted work: %s", work.chat_id, error)
