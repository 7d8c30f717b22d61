"""Training in Telegram: /train (with a confirmation), /train_status, /train_cancel, and the
background task that follows running jobs and tells their outcome.

Every rule (who may train, on what, who is told) is `core.training.Training`'s; refusals and
failures are `UserFacingError`s told by `Handlers.on_error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from tgtrainer.bot.handlers import Context, chat_ref, command_argument, user_ref
from tgtrainer.bot.status import StatusMessage
from tgtrainer.core.training import Training, job_lines
from tgtrainer.training.base import Method

log = logging.getLogger(__name__)

TRAIN_CALLBACK = "train:"
START_DATA = {"supervised": f"{TRAIN_CALLBACK}go:supervised", "dpo": f"{TRAIN_CALLBACK}go:dpo"}
NO_DATA = f"{TRAIN_CALLBACK}no"
NOT_STARTED = "Not started."
STARTING = "Uploading the dataset and creating the fine-tuning job…"
NO_JOBS = "No fine-tuning jobs yet: /train starts one."
NOTHING_RUNNING = "No fine-tuning job is running."
STOP_WAIT_SECONDS = 10.0


def _method(argument: str) -> Method:
    return "dpo" if argument.strip().lower() == "dpo" else "supervised"


class TrainingHandlers:
    def __init__(self, training: Training) -> None:
        self._training = training

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        """Add the handlers; call before the catch-all for unknown commands."""
        application.add_handlers(
            [
                CommandHandler("train", self.train),
                CommandHandler("train_status", self.status),
                CommandHandler("train_cancel", self.cancel),
                CallbackQueryHandler(self.pressed, pattern=f"^{TRAIN_CALLBACK}"),
            ]
        )

    async def train(self, update: Update, context: Context) -> None:
        """`/train [dpo]`: what the job would train on and cost, with Start / Cancel."""
        message = update.effective_message
        assert message is not None
        method = _method(command_argument(message))
        plan = self._training.plan(user_ref(update).id, method)
        buttons = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Start", callback_data=START_DATA[method]),
                    InlineKeyboardButton("Cancel", callback_data=NO_DATA),
                ]
            ]
        )
        await message.reply_text(f"{plan.summary()} Start?", reply_markup=buttons)

    async def pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        if not isinstance(query.message, Message):  # too old for Telegram to show it
            await query.answer(NOT_STARTED)
            return
        if query.data == NO_DATA:
            await query.answer()
            await query.edit_message_text(NOT_STARTED)
            return
        method: Method = "dpo" if query.data == START_DATA["dpo"] else "supervised"
        user = user_ref(update)
        self._training.plan(user.id, method)  # refuses before anything changes
        await query.answer()
        status = StatusMessage.adopt(
            update, context, query.message, failure="The fine-tuning job could not be started."
        )
        await query.edit_message_text(STARTING)  # the buttons go: one press, one job
        job = await self._training.start(user.id, chat_ref(update).id, method)
        await status.finish(
            f"Started fine-tuning job {job.job_id}: {job.method} on {job.base_model} with "
            f"{job.examples} examples. I will tell you here when it ends; /train_status shows "
            "how it goes."
        )

    async def status(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        jobs = self._training.jobs(user_ref(update).id)
        lines = [line for job in jobs for line in job_lines(job)]
        await message.reply_text("\n".join(lines) if lines else NO_JOBS)

    async def cancel(self, update: Update, context: Context) -> None:
        """`/train_cancel [job id]`: cancel that job, or every running one."""
        message = update.effective_message
        assert message is not None
        cancelled = await self._training.cancel(
            user_ref(update).id, command_argument(message) or None
        )
        if not cancelled:
            await message.reply_text(NOTHING_RUNNING)
            return
        await message.reply_text("\n".join(f"{job.job_id}: {job.state}" for job in cancelled))


async def watch_jobs(bot: Bot, training: Training, interval: float, stop: asyncio.Event) -> None:
    """Until `stop` is set: every `interval` seconds, ask how running jobs do, and tell each
    finished one's outcome once (a chat that cannot be reached is given up on; a network
    failure is retried at the next round)."""
    while not stop.is_set():
        try:
            for notice in await training.poll():
                if await _tell(bot, notice.chat_ids, notice.text):
                    training.told(notice.job_id)
        except Exception:  # the bot must keep running; the next round tries again
            log.exception("following the fine-tuning jobs failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def _tell(bot: Bot, chat_ids: list[int], text: str) -> bool:
    """Send `text` to each chat; False when the network failed (so try again later)."""
    for chat_id in chat_ids:
        try:
            await bot.send_message(chat_id, text)
        except (Forbidden, BadRequest) as error:  # blocked, or never started the bot
            log.warning("cannot tell chat %s about a fine-tuning job: %s", chat_id, error)
        except TelegramError as error:
            log.warning("telling chat %s about a fine-tuning job failed: %s", chat_id, error)
            return False
    return True


async def stop_watching(watcher: asyncio.Task[None]) -> None:
    """Let the watcher finish its round (so nothing is told twice), within a bound."""
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(watcher, STOP_WAIT_SECONDS)


__all__ = ["TrainingHandlers", "stop_watching", "watch_jobs"]
